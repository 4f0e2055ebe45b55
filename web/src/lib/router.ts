// Hash routes: `#/<view>/<param>/...`. Only ids go after the view name (`#/vault/items/abc`),
// never a token or content, so nothing private lands in history, logs or Referer headers.
import { readable } from 'svelte/store';

export const VIEWS = ['vault', 'tables', 'sharing', 'search', 'chat', 'audit'] as const;
/** Routes outside the nav: `#/redeem` opens an access link, signed in or not. */
const ROUTES = [...VIEWS, 'redeem'] as const;
export type View = (typeof ROUTES)[number];

export interface Route {
  view: View;
  /** Path segments after the view name, decoded. */
  params: string[];
}

export function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const view = (ROUTES as readonly string[]).includes(parts[0] ?? '') ? (parts[0] as View) : 'vault';
  return { view, params: view === parts[0] ? parts.slice(1) : [] };
}

export function href(view: View, ...params: string[]): string {
  return `#/${[view, ...params].map(encodeURIComponent).join('/')}`;
}

export function go(view: View, ...params: string[]): void {
  location.hash = href(view, ...params);
}

/**
 * Replaces the current history entry with `#/<view>/<params>` without a new entry, and tells the
 * route store: used to drop a bearer token from the address bar once it has been read.
 */
export function replace(view: View, ...params: string[]): void {
  history.replaceState(history.state, '', href(view, ...params));
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export const route = readable<Route>(parse(typeof location === 'undefined' ? '' : location.hash), (set) => {
  const update = () => set(parse(location.hash));
  window.addEventListener('hashchange', update);
  return () => window.removeEventListener('hashchange', update);
});
