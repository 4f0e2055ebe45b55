// Hash routes: `#/<view>/<param>/...`. Only ids go after the view name (`#/vault/items/abc`),
// never a token or content, so nothing private lands in history, logs or Referer headers.
import { readable } from 'svelte/store';

export const VIEWS = ['vault', 'tables', 'sharing', 'search', 'chat', 'audit'] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  /** Path segments after the view name, decoded. */
  params: string[];
}

export function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const view = (VIEWS as readonly string[]).includes(parts[0] ?? '') ? (parts[0] as View) : 'vault';
  return { view, params: view === parts[0] ? parts.slice(1) : [] };
}

export function href(view: View, ...params: string[]): string {
  return `#/${[view, ...params].map(encodeURIComponent).join('/')}`;
}

export function go(view: View, ...params: string[]): void {
  location.hash = href(view, ...params);
}

export const route = readable<Route>(parse(typeof location === 'undefined' ? '' : location.hash), (set) => {
  const update = () => set(parse(location.hash));
  window.addEventListener('hashchange', update);
  return () => window.removeEventListener('hashchange', update);
});
