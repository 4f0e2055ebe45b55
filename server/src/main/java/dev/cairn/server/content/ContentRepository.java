package dev.cairn.server.content;

import static dev.cairn.server.db.jooq.Tables.ITEM_SEGMENTS;
import static dev.cairn.server.db.jooq.Tables.ITEM_VERSIONS;
import static dev.cairn.server.db.jooq.Tables.UPLOADS;

import dev.cairn.server.db.jooq.tables.records.ItemVersionsRecord;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The SQL of stored content: segments of blobs, and the version rows that point at them. */
public final class ContentRepository {

  void insertSegment(DSLContext sql, UUID owner, UUID item, UUID blob, int seq, byte[] ciphertext) {
    sql.insertInto(ITEM_SEGMENTS)
        .set(ITEM_SEGMENTS.BLOB_ID, blob)
        .set(ITEM_SEGMENTS.SEQ, seq)
        .set(ITEM_SEGMENTS.OWNER_ID, owner)
        .set(ITEM_SEGMENTS.ITEM_ID, item)
        .set(ITEM_SEGMENTS.CIPHERTEXT, ciphertext)
        .execute();
  }

  Optional<byte[]> segment(DSLContext sql, UUID blob, int seq) {
    return sql.select(ITEM_SEGMENTS.CIPHERTEXT)
        .from(ITEM_SEGMENTS)
        .where(ITEM_SEGMENTS.BLOB_ID.eq(blob))
        .and(ITEM_SEGMENTS.SEQ.eq(seq))
        .fetchOptional(ITEM_SEGMENTS.CIPHERTEXT);
  }

  /** A version of a visible item (row-level security: visible exactly when the item is). */
  Optional<StoredVersion> version(DSLContext sql, UUID item, int version) {
    return sql.selectFrom(ITEM_VERSIONS)
        .where(ITEM_VERSIONS.ITEM_ID.eq(item))
        .and(ITEM_VERSIONS.VERSION.eq(version))
        .fetchOptional(ContentRepository::toStoredVersion);
  }

  /** Every segment of every blob of an item (the purge). */
  void deleteItemSegments(DSLContext sql, UUID owner, UUID item) {
    sql.deleteFrom(ITEM_SEGMENTS).where(ITEM_SEGMENTS.OWNER_ID.eq(owner)).and(ITEM_SEGMENTS.ITEM_ID.eq(item)).execute();
  }

  /**
   * Segments of uploads that never became a version, older than {@code before}; a resumable
   * upload's staged blob is kept while its row lives (it expires on its own clock).
   */
  int deleteAbandonedSegments(DSLContext sql, UUID owner, OffsetDateTime before) {
    var v = ITEM_VERSIONS.as("v");
    return sql.deleteFrom(ITEM_SEGMENTS)
        .where(ITEM_SEGMENTS.OWNER_ID.eq(owner))
        .and(ITEM_SEGMENTS.CREATED_AT.lt(before))
        .andNotExists(
            DSL.selectOne().from(v).where(v.ITEM_ID.eq(ITEM_SEGMENTS.ITEM_ID)).and(v.BLOB_ID.eq(ITEM_SEGMENTS.BLOB_ID)))
        .andNotExists(DSL.selectOne().from(UPLOADS).where(UPLOADS.BLOB_ID.eq(ITEM_SEGMENTS.BLOB_ID)))
        .execute();
  }

  void deleteBlob(DSLContext sql, UUID owner, UUID blob) {
    sql.deleteFrom(ITEM_SEGMENTS).where(ITEM_SEGMENTS.OWNER_ID.eq(owner)).and(ITEM_SEGMENTS.BLOB_ID.eq(blob)).execute();
  }

  void deleteUnattachedBlob(DSLContext sql, UUID owner, UUID blob) {
    sql.deleteFrom(ITEM_SEGMENTS)
        .where(ITEM_SEGMENTS.OWNER_ID.eq(owner))
        .and(ITEM_SEGMENTS.BLOB_ID.eq(blob))
        .andNotExists(sql.selectOne().from(ITEM_VERSIONS).where(ITEM_VERSIONS.BLOB_ID.eq(blob)))
        .execute();
  }

  /** The domain view of a version row, for repositories that select versions with other rows. */
  public static StoredVersion toStoredVersion(ItemVersionsRecord r) {
    return new StoredVersion(
        r.getItemId(), r.getVersion(), r.getOwnerId(), r.getAuthorId(), r.getMediaType(), r.getSizeBytes(),
        r.getContentSha256(), r.getBlobId(), r.getSegmentCount(), r.getRecordCiphertext(), r.getCreatedAt());
  }
}
