package dev.cairn.server.search.index;

import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static dev.cairn.server.db.jooq.Tables.SEARCH_CHUNKS;
import static dev.cairn.server.db.jooq.Tables.SEARCH_INDEX_STATUS;
import static dev.cairn.server.db.jooq.Tables.SEARCH_WORDS;

import dev.cairn.server.db.SqlArrays;
import dev.cairn.server.search.Languages;
import dev.cairn.server.search.Words;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Row12;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/** The index's writes: a version's chunks and vocabulary replaced at once, removals, and the status row. */
final class IndexRepository {
  /** Rows per INSERT: each statement fires the statistics trigger once. */
  private static final int BATCH = 500;

  /** What the index needs of an item, read under a row lock. */
  record ItemState(
      UUID ownerId, int version, boolean searchable, boolean deleted, String mediaType, String language,
      int indexedVersion, boolean reindexRequested, @Nullable String indexedLanguage, @Nullable String indexedModel,
      boolean hasChunks) {}

  /**
   * A chunk ready to store: its encrypted text, the plaintext the tsvector is built from, and its
   * embedding (computed before the transaction).
   */
  record StoredChunk(int ordinal, int page, int start, int end, byte[] ciphertext, String text, float[] vector) {}

  /**
   * The item's state, locked FOR SHARE when {@code lock}: a concurrent new version (which locks
   * the item FOR UPDATE) then waits until this transaction has written its chunks, or this one
   * sees the newer version and stands back. Null when the item is gone (purged).
   */
  @Nullable ItemState state(DSLContext sql, UUID item, boolean lock) {
    // one round trip: the item, its status row and one of its chunks (all of a version's chunks
    // share language and model); FOR SHARE locks only the item row
    var chunk = SEARCH_CHUNKS.as("c");
    Field<String> chunkLanguage = DSL.field(DSL.select(chunk.LANGUAGE.cast(String.class)).from(chunk)
        .where(chunk.ITEM_ID.eq(ITEMS.ID)).limit(1));
    Field<String> chunkModel = DSL.field(DSL.select(chunk.EMBEDDING_MODEL).from(chunk)
        .where(chunk.ITEM_ID.eq(ITEMS.ID)).limit(1));
    Field<Boolean> hasChunks = DSL.field(DSL.exists(DSL.selectOne().from(chunk).where(chunk.ITEM_ID.eq(ITEMS.ID))));
    var query = sql.select(ITEMS.OWNER_ID, ITEMS.CURRENT_VERSION, ITEMS.SEARCHABLE, ITEMS.DELETED_AT, ITEMS.MEDIA_TYPE,
            ITEMS.LABELS, SEARCH_INDEX_STATUS.INDEXED_VERSION, SEARCH_INDEX_STATUS.REQUESTED_AT, chunkLanguage, chunkModel,
            hasChunks)
        .from(ITEMS.leftJoin(SEARCH_INDEX_STATUS).on(SEARCH_INDEX_STATUS.ITEM_ID.eq(ITEMS.ID)))
        .where(ITEMS.ID.eq(item));
    Record row = lock ? query.forShare().of(ITEMS).fetchOne() : query.fetchOne();
    if (row == null) {
      return null;
    }
    Map<String, String> labels = dev.cairn.server.db.Jsonb.stringMap(row.get(ITEMS.LABELS));
    @Nullable Integer indexed = row.get(SEARCH_INDEX_STATUS.INDEXED_VERSION);
    return new ItemState(
        row.get(ITEMS.OWNER_ID),
        row.get(ITEMS.CURRENT_VERSION),
        row.get(ITEMS.SEARCHABLE),
        row.get(ITEMS.DELETED_AT) != null,
        row.get(ITEMS.MEDIA_TYPE),
        labels == null ? Languages.DEFAULT : labels.getOrDefault(Languages.LABEL, Languages.DEFAULT),
        indexed == null ? 0 : indexed,
        row.get(SEARCH_INDEX_STATUS.REQUESTED_AT) != null,
        row.get(chunkLanguage),
        row.get(chunkModel),
        Boolean.TRUE.equals(row.get(hasChunks)));
  }

  /**
   * The item's chunks become exactly {@code chunks} of {@code version}: any older set goes, unless
   * the caller saw none under its lock ({@code hasChunks} false: chunks and vocabulary are written
   * and removed together, so there is neither to delete).
   */
  void replace(DSLContext sql, UUID owner, UUID item, int version, String language, String model, List<StoredChunk> chunks,
      boolean hasChunks) {
    if (hasChunks) {
      deleteChunks(sql, owner, item);
    }
    Field<Object> config = DSL.field("{0}::regconfig", Object.class, DSL.val(language));
    for (int from = 0; from < chunks.size(); from += BATCH) {
      List<Row12<UUID, UUID, Integer, Integer, Integer, Integer, Integer, Object, byte[], Object, Float[], String>> rows =
          new ArrayList<>();
      for (StoredChunk c : chunks.subList(from, Math.min(chunks.size(), from + BATCH))) {
        rows.add(DSL.row(DSL.val(owner), DSL.val(item), DSL.val(version), DSL.val(c.ordinal()), DSL.val(c.page()),
            DSL.val(c.start()), DSL.val(c.end()), config, DSL.val(c.ciphertext()),
            DSL.field("to_tsvector({0}::regconfig, {1})", Object.class, DSL.val(language), DSL.val(c.text())),
            DSL.val(boxed(c.vector())), DSL.val(model)));
      }
      sql.insertInto(SEARCH_CHUNKS, SEARCH_CHUNKS.OWNER_ID, SEARCH_CHUNKS.ITEM_ID, SEARCH_CHUNKS.VERSION,
              SEARCH_CHUNKS.ORDINAL, SEARCH_CHUNKS.PAGE, SEARCH_CHUNKS.START_CP, SEARCH_CHUNKS.END_CP,
              SEARCH_CHUNKS.LANGUAGE, SEARCH_CHUNKS.CIPHERTEXT, SEARCH_CHUNKS.TSV, SEARCH_CHUNKS.EMBEDDING,
              SEARCH_CHUNKS.EMBEDDING_MODEL)
          .valuesOfRows(rows)
          .execute();
    }
    insertWords(sql, owner, item, version, language, chunks);
  }

  /**
   * The version's vocabulary for the TYPO stage: its words with their occurrences, those the
   * configuration keeps (its stop words are not searched, so never a correction). Chunks overlap,
   * so a word in an overlap counts twice: the counts only order corrections of equal distance.
   */
  private static void insertWords(DSLContext sql, UUID owner, UUID item, int version, String language, List<StoredChunk> chunks) {
    Map<String, Integer> words = Words.count(chunks.stream().map(StoredChunk::text).toList());
    if (words.isEmpty()) {
      return;
    }
    sql.execute("""
        INSERT INTO cairn.search_words (owner_id, item_id, version, word, occurrences)
        SELECT {0}, {1}, {2}, w.word, w.n FROM unnest({3}::text[], {4}::int[]) AS w (word, n)
         WHERE length(to_tsvector({5}::regconfig, w.word)) > 0""",
        DSL.val(owner), DSL.val(item), DSL.val(version), SqlArrays.texts(words.keySet()),
        SqlArrays.integers(words.values()), DSL.val(language));
  }

  private static Float[] boxed(float[] vector) {
    Float[] out = new Float[vector.length];
    for (int i = 0; i < vector.length; i++) {
      out[i] = vector[i];
    }
    return out;
  }

  /** Removes every chunk of the item (the statistics follow by trigger) and its vocabulary. */
  int deleteChunks(DSLContext sql, UUID owner, UUID item) {
    sql.deleteFrom(SEARCH_WORDS).where(SEARCH_WORDS.OWNER_ID.eq(owner)).and(SEARCH_WORDS.ITEM_ID.eq(item)).execute();
    return sql.deleteFrom(SEARCH_CHUNKS).where(SEARCH_CHUNKS.OWNER_ID.eq(owner)).and(SEARCH_CHUNKS.ITEM_ID.eq(item)).execute();
  }

  void markIndexed(DSLContext sql, UUID owner, UUID item, int version, int chunks, OffsetDateTime now) {
    upsert(sql, owner, item, now, version, chunks, null, "");
  }

  void markFailed(DSLContext sql, UUID owner, UUID item, int version, String error, OffsetDateTime now) {
    upsert(sql, owner, item, now, 0, 0, version, error.length() <= 500 ? error : error.substring(0, 499) + "…");
  }

  void markRemoved(DSLContext sql, UUID owner, UUID item, OffsetDateTime now) {
    upsert(sql, owner, item, now, 0, 0, null, "");
  }

  private static void upsert(
      DSLContext sql, UUID owner, UUID item, OffsetDateTime now, int indexed, int chunks, @Nullable Integer failed, String error) {
    sql.insertInto(SEARCH_INDEX_STATUS)
        .set(SEARCH_INDEX_STATUS.OWNER_ID, owner)
        .set(SEARCH_INDEX_STATUS.ITEM_ID, item)
        .set(SEARCH_INDEX_STATUS.INDEXED_VERSION, indexed)
        .set(SEARCH_INDEX_STATUS.CHUNK_COUNT, chunks)
        .set(SEARCH_INDEX_STATUS.FAILED_VERSION, failed)
        .set(SEARCH_INDEX_STATUS.ERROR, error)
        .setNull(SEARCH_INDEX_STATUS.REQUESTED_AT)
        .set(SEARCH_INDEX_STATUS.UPDATED_AT, now)
        .onConflict(SEARCH_INDEX_STATUS.ITEM_ID)
        .doUpdate()
        .set(SEARCH_INDEX_STATUS.INDEXED_VERSION, indexed)
        .set(SEARCH_INDEX_STATUS.CHUNK_COUNT, chunks)
        .set(SEARCH_INDEX_STATUS.FAILED_VERSION, failed)
        .set(SEARCH_INDEX_STATUS.ERROR, error)
        .setNull(SEARCH_INDEX_STATUS.REQUESTED_AT)
        .set(SEARCH_INDEX_STATUS.UPDATED_AT, now)
        .execute();
  }

  /** ReindexItem: the item is PENDING until the job it enqueues has run. */
  void requestReindex(DSLContext sql, UUID owner, UUID item, OffsetDateTime now) {
    sql.insertInto(SEARCH_INDEX_STATUS)
        .set(SEARCH_INDEX_STATUS.OWNER_ID, owner)
        .set(SEARCH_INDEX_STATUS.ITEM_ID, item)
        .set(SEARCH_INDEX_STATUS.REQUESTED_AT, now)
        .set(SEARCH_INDEX_STATUS.UPDATED_AT, now)
        .onConflict(SEARCH_INDEX_STATUS.ITEM_ID)
        .doUpdate()
        .set(SEARCH_INDEX_STATUS.REQUESTED_AT, now)
        .set(SEARCH_INDEX_STATUS.UPDATED_AT, now)
        .execute();
  }

  // ---------------------------------------------------------------- status as users see it

  private static final Field<String> STATE = DSL.when(ITEMS.SEARCHABLE.isFalse().or(ITEMS.DELETED_AT.isNotNull()), "NOT_INDEXED")
      .when(SEARCH_INDEX_STATUS.REQUESTED_AT.isNotNull(), "PENDING")
      .when(SEARCH_INDEX_STATUS.FAILED_VERSION.eq(ITEMS.CURRENT_VERSION), "FAILED")
      .when(SEARCH_INDEX_STATUS.INDEXED_VERSION.eq(ITEMS.CURRENT_VERSION), "INDEXED")
      .otherwise("PENDING").as("state");
  /** When a pending item started waiting: the reindex request, else its last change. */
  private static final Field<OffsetDateTime> WAITING_SINCE =
      DSL.coalesce(SEARCH_INDEX_STATUS.REQUESTED_AT, ITEMS.UPDATED_AT);

  /** The status of an item the caller may read (the caller checked), by RLS. */
  IndexStatuses.ItemStatus itemStatus(DSLContext sql, UUID item) {
    Record row = sql.select(STATE, SEARCH_INDEX_STATUS.INDEXED_VERSION, SEARCH_INDEX_STATUS.CHUNK_COUNT,
            SEARCH_INDEX_STATUS.ERROR, SEARCH_INDEX_STATUS.UPDATED_AT, WAITING_SINCE)
        .from(ITEMS.leftJoin(SEARCH_INDEX_STATUS).on(SEARCH_INDEX_STATUS.ITEM_ID.eq(ITEMS.ID)))
        .where(ITEMS.ID.eq(item))
        .fetchSingle();
    IndexStatuses.State state = IndexStatuses.State.valueOf(row.get(STATE));
    @Nullable OffsetDateTime updated = row.get(SEARCH_INDEX_STATUS.UPDATED_AT);
    OffsetDateTime since = row.get(WAITING_SINCE);
    return new IndexStatuses.ItemStatus(
        item,
        state,
        state == IndexStatuses.State.NOT_INDEXED ? 0 : orZero(row.get(SEARCH_INDEX_STATUS.INDEXED_VERSION)),
        state == IndexStatuses.State.NOT_INDEXED ? 0 : orZero(row.get(SEARCH_INDEX_STATUS.CHUNK_COUNT)),
        state == IndexStatuses.State.FAILED ? row.get(SEARCH_INDEX_STATUS.ERROR) : "",
        state == IndexStatuses.State.PENDING || updated == null ? since : updated);
  }

  /** Counts over the caller's own searchable items, and how long the oldest pending one has waited. */
  IndexStatuses.Summary statusSummary(DSLContext sql, UUID owner, Instant now) {
    var states = DSL.select(STATE, WAITING_SINCE.as("since"))
        .from(ITEMS.leftJoin(SEARCH_INDEX_STATUS).on(SEARCH_INDEX_STATUS.ITEM_ID.eq(ITEMS.ID)))
        .where(ITEMS.OWNER_ID.eq(owner)).and(ITEMS.SEARCHABLE.isTrue()).and(ITEMS.DELETED_AT.isNull())
        .asTable("s");
    Field<String> state = states.field("state", String.class);
    Field<OffsetDateTime> since = states.field("since", OffsetDateTime.class);
    Record row = sql.select(
            DSL.count().filterWhere(state.eq("PENDING")),
            DSL.count().filterWhere(state.eq("INDEXED")),
            DSL.count().filterWhere(state.eq("FAILED")),
            DSL.min(since).filterWhere(state.eq("PENDING")))
        .from(states)
        .fetchSingle();
    OffsetDateTime oldest = row.get(3, OffsetDateTime.class);
    Duration lag = oldest == null ? Duration.ZERO : Duration.between(oldest.toInstant(), now);
    return new IndexStatuses.Summary(row.get(0, Long.class), row.get(1, Long.class), row.get(2, Long.class),
        lag.isNegative() ? Duration.ZERO : lag);
  }

  /** The item's labels (its language among them), by RLS. */
  Map<String, String> labels(DSLContext sql, UUID item) {
    return dev.cairn.server.db.Jsonb.stringMap(sql.select(ITEMS.LABELS).from(ITEMS).where(ITEMS.ID.eq(item)).fetchOne(ITEMS.LABELS));
  }

  /** Whether the item has a status row: it was indexed (or tried) at some point. */
  boolean wasIndexed(DSLContext sql, UUID item) {
    return sql.fetchExists(SEARCH_INDEX_STATUS, SEARCH_INDEX_STATUS.ITEM_ID.eq(item));
  }

  private static int orZero(@Nullable Integer value) {
    return value == null ? 0 : value;
  }
}
