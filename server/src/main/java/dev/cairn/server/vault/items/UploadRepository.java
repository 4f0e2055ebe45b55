package dev.cairn.server.vault.items;

import static dev.cairn.server.db.jooq.Tables.UPLOADS;

import dev.cairn.server.db.jooq.tables.records.UploadsRecord;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/** The jOOQ queries of resumable uploads; every one is bounded to the caller's own rows (RLS too). */
final class UploadRepository {
  /** The advisory-lock key space of the open-uploads count (the first int of the two-int form). */
  private static final int UPLOAD_LOCK_SPACE = 0x75706c64; // "upld"

  /** Inserts a new upload; empty when its request_id was already used (then re-read). */
  Optional<UploadsRecord> insert(DSLContext sql, UploadsRecord row) {
    return sql.insertInto(UPLOADS).set(row).onConflictDoNothing().returning().fetchOptional();
  }

  Optional<UploadsRecord> find(DSLContext sql, UUID owner, UUID id, boolean lock) {
    var select = sql.selectFrom(UPLOADS).where(UPLOADS.OWNER_ID.eq(owner)).and(UPLOADS.ID.eq(id));
    return lock ? select.forUpdate().fetchOptional() : select.fetchOptional();
  }

  Optional<UploadsRecord> findByRequestId(DSLContext sql, UUID owner, UUID requestId) {
    return sql.selectFrom(UPLOADS)
        .where(UPLOADS.OWNER_ID.eq(owner))
        .and(UPLOADS.REQUEST_ID.eq(requestId))
        .fetchOptional();
  }

  /**
   * Uploads the owner has open (not completed, not expired): the open-uploads limit's count. It
   * first takes a transaction-scoped lock for the owner's uploads, so two concurrent CreateUploads
   * cannot both count below the limit and both insert; the lock ends with the transaction. An
   * advisory lock fits here (and not on the item hot path): CreateUpload is rare and short.
   */
  int lockAndCountOpen(DSLContext sql, UUID owner, OffsetDateTime now) {
    sql.fetch("select pg_advisory_xact_lock(" + UPLOAD_LOCK_SPACE + ", hashtext(cast(? as text)))", owner.toString());
    return sql.fetchCount(UPLOADS, UPLOADS.OWNER_ID.eq(owner)
        .and(UPLOADS.COMPLETED_VERSION.isNull())
        .and(UPLOADS.EXPIRE_AT.gt(now)));
  }

  void store(DSLContext sql, UploadsRecord row) {
    sql.attach(row);
    row.update();
  }

  void delete(DSLContext sql, UUID owner, UUID id) {
    sql.deleteFrom(UPLOADS).where(UPLOADS.OWNER_ID.eq(owner)).and(UPLOADS.ID.eq(id)).execute();
  }

  /** An expired upload: its id and the blob it staged. */
  record Expired(UUID id, UUID blobId) {}

  /** The owner's expired uploads, locked; SKIP LOCKED so a purge never waits on a live append. */
  List<Expired> lockExpired(DSLContext sql, UUID owner, OffsetDateTime now, int limit) {
    return sql.selectFrom(UPLOADS)
        .where(UPLOADS.OWNER_ID.eq(owner))
        .and(UPLOADS.EXPIRE_AT.le(now))
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .fetch(r -> new Expired(r.getId(), r.getBlobId()));
  }
}
