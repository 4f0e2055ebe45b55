// The signed-in session: the API token lives in sessionStorage only (gone when the tab closes;
// never in a URL, never logged), and the user it belongs to, from GetUser("users/me").
import { writable, type Readable } from 'svelte/store';
import type { User } from '../gen/cairn/identity/v1/user_pb.js';
import { users } from './api.js';

const KEY = 'cairn.token';

function storage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined; // storage disabled: the session lasts as long as the page
  }
}

let token: string | undefined = storage()?.getItem(KEY) ?? undefined;
const userStore = writable<User | undefined>(undefined);

/** The signed-in user, or undefined before sign-in completes. */
export const me: Readable<User | undefined> = { subscribe: userStore.subscribe };

export function currentToken(): string | undefined {
  return token;
}

/** Checks the token against Cairn (users/me) and keeps it only if Cairn accepts it. */
export async function signIn(candidate: string): Promise<User> {
  const trimmed = candidate.trim();
  const previous = token;
  token = trimmed;
  try {
    const { user } = await users.getUser({ name: 'users/me' });
    if (!user) throw new Error('Cairn returned no user for this token.');
    storage()?.setItem(KEY, trimmed);
    userStore.set(user);
    return user;
  } catch (e) {
    token = previous;
    throw e;
  }
}

/** Restores a session kept in this tab, if its token still works. */
export async function resume(): Promise<User | undefined> {
  if (!token) return undefined;
  try {
    return await signIn(token);
  } catch {
    signOut();
    return undefined;
  }
}

export function signOut(): void {
  token = undefined;
  storage()?.removeItem(KEY);
  userStore.set(undefined);
}
