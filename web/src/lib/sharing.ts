// What the sharing forms need: the caller's own items and collections to pick a target from,
// role names, and datetime-local ⇄ Timestamp.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { vault } from './api.js';
import { Role } from '../gen/cairn/vault/v1/sharing_pb.js';
import { Item_Kind } from '../gen/cairn/vault/v1/item_pb.js';

export interface Target {
  name: string;
  label: string;
}

export const ROLES: { role: Role; label: string }[] = [
  { role: Role.READ, label: 'Read' },
  { role: Role.WRITE, label: 'Write' },
  { role: Role.SHARE, label: 'Share (may share on)' },
];

export function roleLabel(role: Role): string {
  return ROLES.find((r) => r.role === role)?.label ?? 'Unknown';
}

/** The caller's documents and collections (first 200 of each), for the target pickers. */
export async function ownTargets(): Promise<{ items: Target[]; collections: Target[] }> {
  const [items, collections] = await Promise.all([
    vault.listItems({ kind: Item_Kind.DOCUMENT, pageSize: 200 }),
    vault.listCollections({ pageSize: 200 }),
  ]);
  return {
    items: items.items.map((i) => ({ name: i.name, label: i.displayName || i.name })),
    collections: collections.collections.map((c) => ({ name: c.name, label: `${c.displayName} (table)` })),
  };
}

/** A datetime-local input's value as a Timestamp; undefined when empty. */
export function timestampOf(local: string) {
  return local ? timestampFromDate(new Date(local)) : undefined;
}

/** `days` from now as a datetime-local value (minutes precision, local time). */
export function localIn(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setSeconds(0, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `alice` or `users/alice` → `users/alice`. */
export function userName(text: string): string {
  const t = text.trim();
  return t.startsWith('users/') ? t : `users/${t}`;
}
