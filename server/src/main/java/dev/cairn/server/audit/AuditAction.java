package dev.cairn.server.audit;

/**
 * What an audit event records. The stored (and hashed) string is {@link #name()}, which is
 * also the wire enum {@code cairn.vault.v1.AuditEvent.Action} without its {@code ACTION_}
 * prefix: renaming a constant would change stored chains' meaning, so add, never rename.
 */
public enum AuditAction {
  ITEM_CREATE,
  ITEM_READ,
  ITEM_DOWNLOAD,
  ITEM_UPDATE,
  ITEM_DELETE,
  ITEM_UNDELETE,
  ITEM_PURGE,
  GRANT_CREATE,
  GRANT_REVOKE,
  LINK_CREATE,
  LINK_REDEEM,
  LINK_REVOKE,
  CONSENT_CREATE,
  CONSENT_REVOKE,
  ACCESS_DENIED,
  RECORD_QUERY,
  COLLECTION_CREATE,
  ITEM_SEARCH_HIT,
  ITEM_CHAT_CITE,
  ATTESTATION_ISSUE,
  CONSENT_RECEIPT_ISSUE
}
