// Friendlier names for an audit timeline: the owner's own items by display name and their grants
// by purpose. Only listings of the owner's own data are used — they are not audited themselves,
// so looking at the log adds nothing to it (GetItem per event would).
import { vault, sharing } from '../api.js';

export interface Names {
  items: Map<string, string>;
  grants: Map<string, string>;
  /** `users/{id}` → username, for the people the owner shared with (from their own grants). */
  users: Map<string, string>;
}

export async function ownNames(): Promise<Names> {
  const [items, grants] = await Promise.all([
    vault.listItems({ pageSize: 1000, showDeleted: true }),
    sharing.listGrants({ pageSize: 1000 }),
  ]);
  return {
    items: new Map(items.items.map((i) => [i.name, i.displayName || i.name])),
    grants: new Map(grants.grants.map((g) => [g.name, `“${g.purpose}”`])),
    users: new Map(grants.grants.filter((g) => g.granteeUsername).map((g) => [g.grantee, g.granteeUsername])),
  };
}

/** `items/{id}` or `items/{id}/versions/{n}` → the item's display name (and version), when known. */
export function targetLabel(names: Names | undefined, target: string): string | undefined {
  const match = /^(items\/[^/]+)(?:\/versions\/(\d+))?$/.exec(target);
  const name = match && names?.items.get(match[1]);
  if (!name) return undefined;
  return match[2] ? `${name} (version ${match[2]})` : name;
}
