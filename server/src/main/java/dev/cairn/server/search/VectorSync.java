package dev.cairn.server.search;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.NotificationListener;
import dev.cairn.server.search.vector.IndexChange;
import dev.cairn.server.search.vector.ReadFilter;
import dev.cairn.server.search.vector.VectorHit;
import dev.cairn.server.search.vector.VectorIndex;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's vector index, kept in step with PostgreSQL (the source of truth). At open it
 * catches up from the change log, or rebuilds from every stored vector when the index is new,
 * for another model, or ahead of the database (a database restored or replaced); then it
 * follows the log. The V20/V22 triggers NOTIFY {@value #CHANNEL} when a change commits; a
 * dedicated connection LISTENs ({@link NotificationListener}) and each notification schedules a
 * catch-up in the background, and a slow poll remains as a safety net (and closes the gaps
 * below the high-water mark, see {@link ChangeWatermark}). After a lost connection the
 * listener's re-subscription triggers a catch-up, since notifications sent meanwhile are lost.
 *
 * <p>{@link #catchUp} is what a search calls before it opens its transaction, so that it sees
 * every change committed before it began: it syncs with the listener (one shared round trip)
 * and reads the log only when a notification came since the last catch-up began; while the
 * listener is down it always reads the log. Reads go through SECURITY DEFINER functions that
 * return ids and vectors, never text; which hits a caller may see is decided again in SQL for
 * every hit (a stale vector only drops out).
 */
public final class VectorSync implements AutoCloseable {
  public static final String CHANNEL = "cairn_search_vectors";
  private static final Logger log = LoggerFactory.getLogger(VectorSync.class);
  private static final int PAGE = 1000;
  /** How long an idle listener goes before it proves its connection (and drains notifications). */
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);
  /** A sync slower than this reads the log instead of holding the search. */
  private static final Duration SYNC_WAIT = Duration.ofMillis(500);
  /** How long a rebuild waits for the writers running when it read the head. */
  private static final Duration REBUILD_WAIT = Duration.ofMinutes(5);

  private final Database database;
  private final VectorIndex index;
  private final String modelId;
  private final ChangeWatermark watermark;
  /** Moves on every notification (and on (re)subscription and loss): "the log may have grown". */
  private final AtomicLong announced = new AtomicLong(1);
  /** The {@link #announced} value the last finished catch-up read after. */
  private volatile long caughtUp;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile int ahead;
  private final Counter reads;
  private @Nullable ScheduledExecutorService worker;
  private @Nullable NotificationListener listener;

  private VectorSync(Database database, VectorIndex index, String modelId, MeterRegistry metrics) {
    this.database = database;
    this.index = index;
    this.modelId = modelId;
    this.watermark = new ChangeWatermark(index.appliedThrough());
    this.reads = Counter.builder("cairn.search.vector.catchups")
        .description("reads of the vector change log by this replica").register(metrics);
    Gauge.builder("cairn.search.vector.applied", this, VectorSync::appliedThrough)
        .description("this replica's vector high-water mark (change number)").register(metrics);
    Gauge.builder("cairn.search.vector.ahead", this, s -> s.ahead())
        .description("changes applied above the high-water mark (waiting for a gap below to close)").register(metrics);
  }

  /**
   * Opens the index in {@code dir} for the model and brings it up to date (before returning, so
   * a replica serves only once caught up), without following changes: they are applied when
   * {@link #catchUp} is called. For tests and tools.
   */
  public static VectorSync open(Database database, Path dir, String modelId, int dimensions, @Nullable Duration poll) {
    return open(database, dir, modelId, dimensions, poll, null, new SimpleMeterRegistry());
  }

  /**
   * As {@link #open(Database, Path, String, int, Duration)}, then follows the log: LISTENing on a
   * connection from {@code connector} (null: not at all) and polling every {@code poll} (null:
   * never).
   */
  public static VectorSync open(Database database, Path dir, String modelId, int dimensions, @Nullable Duration poll,
      NotificationListener.@Nullable Connector connector, MeterRegistry metrics) {
    requireNonNull(database, "database");
    requireNonNull(metrics, "metrics");
    VectorIndex index = VectorIndex.open(dir, modelId, dimensions);
    VectorSync sync = new VectorSync(database, index, modelId, metrics);
    try {
      sync.start();
      sync.follow(poll, connector, metrics);
      return sync;
    } catch (RuntimeException e) {
      sync.close();
      throw e;
    }
  }

  private void follow(@Nullable Duration poll, NotificationListener.@Nullable Connector connector, MeterRegistry metrics) {
    if (poll == null && connector == null) {
      return;
    }
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cairn-vector-sync");
      t.setDaemon(true);
      return t;
    });
    worker = executor;
    if (poll != null) {
      executor.scheduleWithFixedDelay(this::pullQuietly, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
    }
    if (connector != null) {
      listener = NotificationListener.start(connector, CHANNEL, new Announcements(), HEARTBEAT, metrics);
    }
  }

  private void start() {
    Horizon horizon = horizon();
    if (index.appliedThrough() == 0 || index.appliedThrough() > horizon.head()) {
      rebuild(horizon);
    }
    pull();
  }

  /**
   * Replaces the index with every stored vector of the model, as of the head. Change numbers at
   * or below the head may still be held by running transactions (V22 has no global order); the
   * rebuild waits until those have ended, so that reading the vectors then sees them all.
   */
  private void rebuild(Horizon horizon) {
    long deadline = System.nanoTime() + REBUILD_WAIT.toNanos();
    Horizon now = horizon;
    while (now.xmin() < horizon.xmax()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("vector index rebuild: a transaction older than " + REBUILD_WAIT
            + " is still running (pg_stat_activity shows it); it holds back the change log");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting to rebuild the vector index", e);
      }
      now = horizon();
    }
    synchronized (this) {
      index.rebuild(new Pages(), horizon.head());
      watermark.reset(horizon.head());
    }
  }

  private record Horizon(long head, long xmin, long xmax) {}

  private Horizon horizon() {
    Record r = database.transaction(Principal.anonymous(), sql -> sql.resultQuery(
        "SELECT head, snapshot_xmin, snapshot_xmax FROM cairn.search_vector_horizon()").fetchSingle());
    return new Horizon(r.get(0, Long.class), r.get(1, Long.class), r.get(2, Long.class));
  }

  /**
   * Makes sure every change committed before this call is applied: after a sync with the
   * listener, only when a notification came since the last catch-up began (no database read
   * otherwise); without a listening connection, always.
   */
  public void catchUp() {
    NotificationListener listening = listener;
    if (listening != null && listening.listening() && listening.sync(SYNC_WAIT)) {
      long wanted = announced.get();
      if (caughtUp >= wanted) {
        return;
      }
      pullThrough(wanted);
      return;
    }
    pull();
  }

  /** Reads the log unless a catch-up that began after announcement {@code wanted} has finished. */
  private synchronized void pullThrough(long wanted) {
    if (caughtUp < wanted) {
      pull();
    }
  }

  /** Applies every change not yet applied; one caller at a time. */
  private synchronized void pull() {
    long begun = announced.get();
    reads.increment();
    long after = watermark.through();
    while (true) {
      long from = after;
      List<Record> rows = database.transaction(Principal.anonymous(), sql -> changesSince(sql, from));
      long xmin = rows.getFirst().get(7, Long.class);
      long xmax = rows.getFirst().get(8, Long.class);
      List<IndexChange> changes = new ArrayList<>(rows.size());
      int count = 0;
      for (Record r : rows) {
        Long seq = r.get(0, Long.class);
        if (seq == null) {
          break; // no change after `from`: the one row only carries the snapshot
        }
        count++;
        after = seq;
        if (!watermark.firstSight(seq)) {
          continue;
        }
        watermark.applied(seq, xmax);
        String op = r.get(1, String.class);
        if ("I".equals(op)) {
          changes.add(new IndexChange.DeleteItem(r.get(3, UUID.class)));
        } else if (modelId.equals(r.get(6, String.class))) {
          changes.add(new IndexChange.Upsert(r.get(4, UUID.class), r.get(2, UUID.class), r.get(3, UUID.class),
              floats(r.get(5, Float[].class))));
        } // else: the chunk is gone (a later 'I' follows) or holds another model's vector
      }
      watermark.advance(from, count < PAGE ? Long.MAX_VALUE : after, xmin);
      if (!changes.isEmpty() || watermark.through() > index.appliedThrough()) {
        index.apply(changes, watermark.through());
      }
      ahead = watermark.ahead();
      if (count < PAGE) {
        caughtUp = Math.max(caughtUp, begun);
        return;
      }
    }
  }

  private static List<Record> changesSince(DSLContext sql, long after) {
    return sql.resultQuery("""
        SELECT seq, op::text, owner_id, item_id, chunk_id, embedding, embedding_model, snapshot_xmin, snapshot_xmax
          FROM cairn.search_vector_changes_since({0}, {1})""", DSL.val(after), DSL.inline(PAGE)).fetch();
  }

  private void pullQuietly() {
    try {
      pull();
    } catch (RuntimeException e) {
      log.warn("vector index catch-up failed (retried at the next notification or poll): {}", e.toString());
    }
  }

  /** Coalesces notifications: at most one background catch-up queued at a time. */
  private void schedule() {
    ScheduledExecutorService executor = worker;
    if (executor != null && scheduled.compareAndSet(false, true)) {
      try {
        executor.execute(() -> {
          scheduled.set(false);
          pullQuietly();
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        scheduled.set(false); // closing
      }
    }
  }

  /** What the listener reports: each is "the log may have grown", and starts a catch-up. */
  private final class Announcements implements NotificationListener.Subscriber {
    @Override
    public void subscribed() {
      // notifications sent while not listening are lost: catch up on (re)connect
      announced.incrementAndGet();
      schedule();
    }

    @Override
    public void notified(String payload) {
      announced.incrementAndGet();
      schedule();
    }

    @Override
    public void lost() {
      announced.incrementAndGet();
    }
  }

  /** The nearest chunks among {@code allowed}, as of the last catch-up. */
  public List<VectorHit> search(float[] query, int k, ReadFilter allowed) {
    return index.search(query, k, allowed);
  }

  /** The high-water mark: every change at or below it is applied (for tests and health). */
  public long appliedThrough() {
    return index.appliedThrough();
  }

  /** Read by the metrics scrape without the lock (a pull may hold it for a while). */
  private int ahead() {
    return ahead;
  }

  /** True while notifications are being received (for tests and health). */
  public boolean listening() {
    NotificationListener l = listener;
    return l != null && l.listening();
  }

  public int size() {
    return index.size();
  }

  @Override
  public void close() {
    NotificationListener l = listener;
    if (l != null) {
      l.close();
    }
    ScheduledExecutorService poller = this.worker;
    if (poller != null) {
      poller.shutdownNow();
      try {
        poller.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    index.close();
  }

  private static float[] floats(Float[] boxed) {
    float[] out = new float[boxed.length];
    for (int i = 0; i < boxed.length; i++) {
      out[i] = boxed[i];
    }
    return out;
  }

  /** Every stored vector of the model, a keyset page (one short transaction) at a time. */
  private final class Pages implements Iterator<IndexChange.Upsert> {
    private final List<IndexChange.Upsert> page = new ArrayList<>();
    private int next;
    private UUID after = new UUID(0, 0);
    private boolean last;

    @Override
    public boolean hasNext() {
      if (next < page.size()) {
        return true;
      }
      if (last) {
        return false;
      }
      page.clear();
      next = 0;
      UUID from = after;
      database.transaction(Principal.anonymous(), sql -> sql.resultQuery("""
          SELECT chunk_id, owner_id, item_id, embedding FROM cairn.search_vectors_of({0}, {1}, {2})""",
          DSL.val(modelId), DSL.val(from), DSL.inline(PAGE)).fetch())
          .forEach(r -> page.add(new IndexChange.Upsert(r.get(0, UUID.class), r.get(1, UUID.class), r.get(2, UUID.class),
              floats(r.get(3, Float[].class)))));
      last = page.size() < PAGE;
      if (!page.isEmpty()) {
        after = page.getLast().chunkId();
      }
      return !page.isEmpty();
    }

    @Override
    public IndexChange.Upsert next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return page.get(next++);
    }
  }
}
