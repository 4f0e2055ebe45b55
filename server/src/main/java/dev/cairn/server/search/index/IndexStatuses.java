package dev.cairn.server.search.index;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.jobs.JobQueue;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jooq.DSLContext;

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

  private final JobQueue queue;
  private final IndexRepository repository = new IndexRepository();

  public IndexStatuses(JobQueue queue) {
    this.queue = requireNonNull(queue, "queue");
  }

  /** The status of an item the caller may read (the caller checked), by RLS. */
  public ItemStatus item(DSLContext sql, UUID item) {
    return repository.itemStatus(sql, item);
  }

  /** Counts over the caller's own searchable items, and how long the oldest pending one has waited. */
  public Summary summary(DSLContext sql, UUID owner, Instant now) {
    return repository.statusSummary(sql, owner, now);
  }

  /** Marks the item PENDING and enqueues its job, in the caller's transaction (WRITE access checked). */
  public void requestReindex(DSLContext sql, UUID owner, UUID item, OffsetDateTime now) {
    repository.requestReindex(sql, owner, item, now);
    SearchIndexer.enqueue(queue, sql, owner, item);
  }
}
