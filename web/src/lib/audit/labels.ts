// Words people read for audit events, and the hex form of chain hashes.
import { AuditEvent_Action, AuditEvent_Outcome } from '../../gen/cairn/vault/v1/audit_pb.js';

const ACTIONS: Record<number, string> = {
  [AuditEvent_Action.ITEM_CREATE]: 'created an item',
  [AuditEvent_Action.ITEM_READ]: 'read',
  [AuditEvent_Action.ITEM_DOWNLOAD]: 'downloaded',
  [AuditEvent_Action.ITEM_UPDATE]: 'updated',
  [AuditEvent_Action.ITEM_DELETE]: 'deleted',
  [AuditEvent_Action.ITEM_UNDELETE]: 'restored',
  [AuditEvent_Action.ITEM_PURGE]: 'purged',
  [AuditEvent_Action.GRANT_CREATE]: 'shared (grant)',
  [AuditEvent_Action.GRANT_REVOKE]: 'revoked a grant',
  [AuditEvent_Action.LINK_CREATE]: 'created an access link',
  [AuditEvent_Action.LINK_REDEEM]: 'redeemed an access link',
  [AuditEvent_Action.LINK_REVOKE]: 'revoked an access link',
  [AuditEvent_Action.CONSENT_CREATE]: 'recorded consent',
  [AuditEvent_Action.CONSENT_REVOKE]: 'revoked consent',
  [AuditEvent_Action.ACCESS_DENIED]: 'was refused access',
  [AuditEvent_Action.RECORD_QUERY]: 'queried records',
  [AuditEvent_Action.COLLECTION_CREATE]: 'created a collection',
  [AuditEvent_Action.ITEM_SEARCH_HIT]: 'found in a search',
  [AuditEvent_Action.ITEM_CHAT_CITE]: 'cited in a chat answer',
  [AuditEvent_Action.ATTESTATION_ISSUE]: 'issued an attestation',
  [AuditEvent_Action.CONSENT_RECEIPT_ISSUE]: 'issued a consent receipt',
};

export function actionLabel(action: AuditEvent_Action): string {
  return ACTIONS[action] ?? AuditEvent_Action[action] ?? 'unknown action';
}

/** The filter's choices, "reads" first: what "who read my data" means. */
export const ACTION_CHOICES: { value: string; label: string; actions: AuditEvent_Action[] }[] = [
  { value: '', label: 'All actions', actions: [] },
  {
    value: 'reads',
    label: 'Reads of my data',
    actions: [AuditEvent_Action.ITEM_READ, AuditEvent_Action.ITEM_DOWNLOAD, AuditEvent_Action.LINK_REDEEM,
      AuditEvent_Action.RECORD_QUERY, AuditEvent_Action.ITEM_SEARCH_HIT, AuditEvent_Action.ITEM_CHAT_CITE],
  },
  {
    value: 'sharing',
    label: 'Sharing',
    actions: [AuditEvent_Action.GRANT_CREATE, AuditEvent_Action.GRANT_REVOKE, AuditEvent_Action.LINK_CREATE,
      AuditEvent_Action.LINK_REVOKE, AuditEvent_Action.CONSENT_CREATE, AuditEvent_Action.CONSENT_REVOKE],
  },
  { value: 'denied', label: 'Refused accesses', actions: [AuditEvent_Action.ACCESS_DENIED] },
  ...Object.entries(ACTIONS).map(([value, label]) => ({ value: `a${value}`, label: `Only: ${label}`, actions: [Number(value)] })),
];

export function outcomeLabel(outcome: AuditEvent_Outcome): string {
  return outcome === AuditEvent_Outcome.DENIED ? 'denied' : outcome === AuditEvent_Outcome.FAILED ? 'failed' : 'ok';
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
