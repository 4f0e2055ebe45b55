package dev.cairn.server.search.index;

import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static dev.cairn.server.db.jooq.Tables.SEARCH_INDEX_STATUS;
import static java.util.Objects.requireNonNull;

import dev.cairn.server.jobs.JobQueue;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * Index status as users see it. PENDING is derived from the item and the job's last result
 * (the current version neither indexed nor failed, or a reindex requested), so item writes
 * never touch status rows and the state cannot drift from the item.
 */
public final class IndexStatuses {
  /** Where an item is in indexing (the contract's {@code ItemIndexStatus.State}). */
  public enum State { NOT_INDEXED, PENDING, INDEXED, FAILED }

  public record ItemStatus(UUID itemId, State state, int indexedVersion, int chunkCount, String error, OffsetDateTime updateTime) {}

  public record Summary(long pending, long indexed, long failed, Duration lag) {}

  private static final Field<String> STATE = DSL.when(ITEMS.SEARCHABLE.isFalse().or(ITEMS.DELETED_AT.isNotNull()), "NOT_INDEXED")
      .when(SEARCH_INDEX_STATUS.REQUESTED_AT.isNotNull(), "PENDING")
      .when(SEARCH_INDEX_STATUS.FAILED_VERSION.eq(ITEMS.CURRENT_VERSION), "FAILED")
      .when(SEARCH_INDEX_STATUS.INDEXED_VERSION.eq(ITEMS.CURRENT_VERSION), "INDEXED")
      .otherwise("PENDING").as("state");
  /** When a pending item started waiting: the reindex request, else its last change. */
  private static final Field<OffsetDateTime> WAITING_SINCE =
      DSL.coalesce(SEARCH_INDEX_STATUS.REQUESTED_AT, ITEMS.UPDATED_AT);

  private final JobQueue queue;
  private final IndexRepository repository = new IndexRepository();

  public IndexStatuses(JobQueue queue) {
    this.queue = requireNonNull(queue, "queue");
  }

  /** The status of an item the caller may read (the caller checked), by RLS. */
  public ItemStatus item(DSLContext sql, UUID item) {
    Record row = sql.select(STATE, SEARCH_INDEX_STATUS.INDEXED_VERSION, SEARCH_INDEX_STATUS.CHUNK_COUNT,
            SEARCH_INDEX_STATUS.ERROR, SEARCH_INDEX_STATUS.UPDATED_AT, WAITING_SINCE)
        .from(ITEMS.leftJoin(SEARCH_INDEX_STATUS).on(SEARCH_INDEX_STATUS.ITEM_ID.eq(ITEMS.ID)))
        .where(ITEMS.ID.eq(item))
        .fetchSingle();
    State state = State.valueOf(row.get(STATE));
    @Nullable OffsetDateTime updated = row.get(SEARCH_INDEX_STATUS.UPDATED_AT);
    OffsetDateTime since = row.get(WAITING_SINCE);
    return new ItemStatus(
        item,
        state,
        state == State.NOT_INDEXED ? 0 : orZero(row.get(SEARCH_INDEX_STATUS.INDEXED_VERSION)),
        state == State.NOT_INDEXED ? 0 : orZero(row.get(SEARCH_INDEX_STATUS.CHUNK_COUNT)),
        state == State.FAILED ? row.get(SEARCH_INDEX_STATUS.ERROR) : "",
        state == State.PENDING || updated == null ? since : updated);
  }

  /** Counts over the caller's own searchable items, and how long the oldest pending one has waited. */
  public Summary summary(DSLContext sql, UUID owner, Instant now) {
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
    return new Summary(row.get(0, Long.class), row.get(1, Long.class), row.get(2, Long.class),
        lag.isNegative() ? Duration.ZERO : lag);
  }

  /** Marks the item PENDING and enqueues its job, in the caller's transaction (WRITE access checked). */
  public void requestReindex(DSLContext sql, UUID owner, UUID item, OffsetDateTime now) {
    repository.requestReindex(sql, owner, item, now);
    SearchIndexer.enqueue(queue, sql, owner, item);
  }

  private static int orZero(@Nullable Integer value) {
    return value == null ? 0 : value;
  }
}
