package dev.cairn.server.vault.items;

import static dev.cairn.server.db.jooq.Tables.UPLOADS;

import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.jooq.tables.records.UploadsRecord;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * The queries of resumable uploads; every one is bounded to the caller's own rows (RLS too).
 * Rows go in and come out as {@link Row}: no jOOQ record leaves this class.
 */
final class UploadRepository {
  /** The advisory-lock key space of the open-uploads count (the first int of the two-int form). */
  private static final int UPLOAD_LOCK_SPACE = 0x75706c64; // "upld"

  /**
   * An upload row: what CreateUpload asked for (the item's metadata, the declared size and
   * SHA-256), the blob its bytes are staged in, how far the appends got (and the last one, to
   * recognise its retry), and the version CompleteUpload stored.
   */
  record Row(
      UUID id, UUID ownerId, @Nullable UUID requestId, UUID itemId, boolean newItem, String displayName,
      String mediaType, Map<String, String> labels, boolean searchable, String etag, long sizeBytes,
      byte @Nullable [] contentSha256, UUID blobId, long committedBytes, int segmentCount,
      @Nullable Long lastOffset, byte @Nullable [] lastSha256, @Nullable Integer completedVersion,
      OffsetDateTime createdAt, OffsetDateTime expireAt) {

    boolean completed() {
      return completedVersion != null;
    }
  }

  /** Inserts a new upload; empty when its request_id was already used (then re-read). */
  Optional<Row> insert(DSLContext sql, Row row) {
    UploadsRecord r = new UploadsRecord();
    r.setId(row.id());
    r.setOwnerId(row.ownerId());
    r.setRequestId(row.requestId());
    r.setItemId(row.itemId());
    r.setNewItem(row.newItem());
    r.setDisplayName(row.displayName());
    r.setMediaType(row.mediaType());
    r.setLabels(Jsonb.of(row.labels()));
    r.setSearchable(row.searchable());
    r.setEtag(row.etag());
    r.setSizeBytes(row.sizeBytes());
    r.setContentSha256(row.contentSha256());
    r.setBlobId(row.blobId());
    r.setCommittedBytes(row.committedBytes());
    r.setSegmentCount(row.segmentCount());
    r.setLastOffset(row.lastOffset());
    r.setLastSha256(row.lastSha256());
    r.setCompletedVersion(row.completedVersion());
    r.setCreatedAt(row.createdAt());
    r.setExpireAt(row.expireAt());
    return sql.insertInto(UPLOADS).set(r).onConflictDoNothing().returning().fetchOptional(UploadRepository::row);
  }

  Optional<Row> find(DSLContext sql, UUID owner, UUID id, boolean lock) {
    var select = sql.selectFrom(UPLOADS).where(UPLOADS.OWNER_ID.eq(owner)).and(UPLOADS.ID.eq(id));
    return (lock ? select.forUpdate().fetchOptional() : select.fetchOptional()).map(UploadRepository::row);
  }

  Optional<Row> findByRequestId(DSLContext sql, UUID owner, UUID requestId) {
    return sql.selectFrom(UPLOADS)
        .where(UPLOADS.OWNER_ID.eq(owner))
        .and(UPLOADS.REQUEST_ID.eq(requestId))
        .fetchOptional(UploadRepository::row);
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

  /** Records an append that {@code appended} is the row after (the row is locked by the caller). */
  void storeAppend(DSLContext sql, Row appended) {
    sql.update(UPLOADS)
        .set(UPLOADS.COMMITTED_BYTES, appended.committedBytes())
        .set(UPLOADS.SEGMENT_COUNT, appended.segmentCount())
        .set(UPLOADS.LAST_OFFSET, appended.lastOffset())
        .set(UPLOADS.LAST_SHA256, appended.lastSha256())
        .where(UPLOADS.OWNER_ID.eq(appended.ownerId()))
        .and(UPLOADS.ID.eq(appended.id()))
        .execute();
  }

  /** Marks the (locked) upload completed with the version it stored. */
  void storeCompleted(DSLContext sql, Row row, int version) {
    sql.update(UPLOADS)
        .set(UPLOADS.COMPLETED_VERSION, version)
        .where(UPLOADS.OWNER_ID.eq(row.ownerId()))
        .and(UPLOADS.ID.eq(row.id()))
        .execute();
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

  private static Row row(UploadsRecord r) {
    return new Row(
        r.getId(), r.getOwnerId(), r.getRequestId(), r.getItemId(), r.getNewItem(), r.getDisplayName(),
        r.getMediaType(), Jsonb.stringMap(r.getLabels()), r.getSearchable(), r.getEtag(), r.getSizeBytes(),
        r.getContentSha256(), r.getBlobId(), r.getCommittedBytes(), r.getSegmentCount(), r.getLastOffset(),
        r.getLastSha256(), r.getCompletedVersion(), r.getCreatedAt(), r.getExpireAt());
  }
}
