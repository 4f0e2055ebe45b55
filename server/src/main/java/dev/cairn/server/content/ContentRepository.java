package dev.cairn.server.content;

import static dev.cairn.server.db.jooq.Tables.DATA_KEYS;
import static dev.cairn.server.db.jooq.Tables.ITEM_SEGMENTS;
import static dev.cairn.server.db.jooq.Tables.ITEM_VERSIONS;
import static dev.cairn.server.db.jooq.Tables.UPLOADS;

import dev.cairn.server.crypto.DataKeys;
import dev.cairn.server.db.jooq.tables.records.ItemVersionsRecord;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The SQL of stored content: segments of blobs, and the version rows that point at them. */
public final class ContentRepository {

  /**
   * Every segment write: constant SQL with typed casts (jOOQ's plain SQL binds a null untyped),
   * which pgjdbc keeps prepared per connection, where jOOQ rendered the same INSERT on each call.
   */
  private static final String INSERT_SEGMENT =
      "insert into cairn.item_segments (blob_id, seq, owner_id, item_id, ciphertext)"
          + " values (cast(? as uuid), cast(? as integer), cast(? as uuid), cast(? as uuid), cast(? as bytea))";

  void insertSegment(DSLContext sql, UUID owner, UUID item, UUID blob, int seq, byte[] ciphertext) {
    sql.query(INSERT_SEGMENT, blob, seq, owner, item, ciphertext).execute();
  }

  /**
   * The key row of the owner in {@code owner}, as one bytea column of the statement that
   * selects it (the KEK's id as 8 big-endian bytes, then the wrapped keyset), under the caller's
   * row-level security: null where the caller may not see it or there is none.
   */
  static org.jooq.Field<byte[]> keyRowOf(org.jooq.Field<UUID> owner) {
    return DSL.field(DSL.select(DSL.field("int8send({0}) || {1}", byte[].class, DATA_KEYS.KEK_ID, DATA_KEYS.WRAPPED_KEYSET))
        .from(DATA_KEYS).where(DATA_KEYS.OWNER_ID.eq(owner)));
  }

  /** A key row as {@link #keyRowOf} selected it. */
  static DataKeys.Wrapped keyRowFrom(byte[] column) {
    if (column.length <= Long.BYTES) {
      throw new IllegalStateException("a key row column holds a KEK id and a keyset (" + column.length + " bytes)");
    }
    return new DataKeys.Wrapped(java.nio.ByteBuffer.wrap(column).getLong(), Arrays.copyOfRange(column, Long.BYTES, column.length));
  }

  /** The owner's key row as the caller's row-level security shows it (it exists: just made). */
  DataKeys.Wrapped keyRow(DSLContext sql, UUID owner) {
    var row = sql.select(DATA_KEYS.KEK_ID, DATA_KEYS.WRAPPED_KEYSET)
        .from(DATA_KEYS)
        .where(DATA_KEYS.OWNER_ID.eq(owner))
        .fetchSingle();
    return new DataKeys.Wrapped(row.value1(), row.value2());
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
