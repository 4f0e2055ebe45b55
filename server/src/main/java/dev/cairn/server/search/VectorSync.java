package dev.cairn.server.search;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
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
 * follows the log: polled in the background, and pulled by every search before it opens its
 * transaction, so a search sees every change committed before it began. Reads go through SECURITY DEFINER
 * functions that return ids and vectors, never text; which hits a caller may see is decided
 * again in SQL for every hit (a stale vector only drops out).
 */
public final class VectorSync implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VectorSync.class);
  private static final int PAGE = 1000;

  private final Database database;
  private final VectorIndex index;
  private final String modelId;
  private @Nullable ScheduledExecutorService poller;

  private VectorSync(Database database, VectorIndex index, String modelId) {
    this.database = database;
    this.index = index;
    this.modelId = modelId;
  }

  /**
   * Opens the index in {@code dir} for the model, brings it up to date (before returning, so a
   * replica serves only once caught up), and follows changes every {@code poll} (null: only
   * when {@link #catchUp} is called).
   */
  public static VectorSync open(Database database, Path dir, String modelId, int dimensions, @Nullable Duration poll) {
    requireNonNull(database, "database");
    VectorIndex index = VectorIndex.open(dir, modelId, dimensions);
    VectorSync sync = new VectorSync(database, index, modelId);
    try {
      sync.start();
      if (poll != null) {
        sync.follow(poll);
      }
      return sync;
    } catch (RuntimeException e) {
      sync.close();
      throw e;
    }
  }

  private void follow(Duration poll) {
    poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cairn-vector-sync");
      t.setDaemon(true);
      return t;
    });
    poller.scheduleWithFixedDelay(this::pollQuietly, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void start() {
    long head = database.transaction(Principal.anonymous(),
        sql -> sql.select(DSL.field("cairn.search_vector_head()", Long.class)).fetchSingle().value1());
    if (index.appliedThrough() == 0 || index.appliedThrough() > head) {
      rebuild(head);
    }
    catchUp();
  }

  /** Replaces the index with every stored vector of the model as of change {@code head}. */
  private void rebuild(long head) {
    index.rebuild(new Pages(), head);
  }

  /** Applies every change after the index's watermark; one caller at a time. */
  public synchronized void catchUp() {
    while (true) {
      long after = index.appliedThrough();
      List<Record> rows = database.transaction(Principal.anonymous(), sql -> changesAfter(sql, after));
      if (rows.isEmpty()) {
        return;
      }
      List<IndexChange> changes = new ArrayList<>(rows.size());
      long through = after;
      for (Record r : rows) {
        through = r.get(0, Long.class);
        String op = r.get(1, String.class);
        if ("I".equals(op)) {
          changes.add(new IndexChange.DeleteItem(r.get(3, UUID.class)));
        } else if (modelId.equals(r.get(6, String.class))) {
          changes.add(new IndexChange.Upsert(r.get(4, UUID.class), r.get(2, UUID.class), r.get(3, UUID.class),
              floats(r.get(5, Float[].class))));
        } // else: the chunk is gone (a later 'I' follows) or holds another model's vector
      }
      index.apply(changes, through);
      if (rows.size() < PAGE) {
        return;
      }
    }
  }

  private static List<Record> changesAfter(DSLContext sql, long after) {
    return sql.resultQuery("""
        SELECT seq, op::text, owner_id, item_id, chunk_id, embedding, embedding_model
          FROM cairn.search_vector_changes_after({0}, {1})""", DSL.val(after), DSL.inline(PAGE)).fetch();
  }

  private void pollQuietly() {
    try {
      catchUp();
    } catch (RuntimeException e) {
      log.warn("vector index catch-up failed (retried at the next poll): {}", e.toString());
    }
  }

  /** The nearest chunks among {@code allowed}, as of the last catch-up. */
  public List<VectorHit> search(float[] query, int k, ReadFilter allowed) {
    return index.search(query, k, allowed);
  }

  /** The last change applied (for tests and health). */
  public long appliedThrough() {
    return index.appliedThrough();
  }

  public int size() {
    return index.size();
  }

  @Override
  public void close() {
    ScheduledExecutorService poller = this.poller;
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
