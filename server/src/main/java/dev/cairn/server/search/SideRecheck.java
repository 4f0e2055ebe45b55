package dev.cairn.server.search;

import dev.cairn.server.core.Futures;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import dev.cairn.server.search.SearchRepository.LiveChunk;
import io.micrometer.core.instrument.Counter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * The re-check of a hybrid search's nearest chunks, run on a connection of its own as soon as
 * the graph search has found them, while the search's own connection ranks the lexical list: the
 * two statements then run side by side in PostgreSQL instead of one after the other.
 *
 * <p>Whoever comes first does it: the vector thread (here, when a side connection is free) or the
 * search, which claims the work when it needs the rows and the side leg has not started, and then
 * re-checks on its own connection as before. A side leg never waits while holding the search's
 * connection, and at most {@code permits} run at once, fewer than the pool holds: the connections
 * that searches without a side leg hold are always given back, so a side leg waiting for one is
 * never waiting on itself (no pool deadlock, however many searches run).
 */
final class SideRecheck {
  private final AtomicBoolean claimed = new AtomicBoolean();
  private final CompletableFuture<Map<UUID, LiveChunk>> rows = new CompletableFuture<>();

  /** Side connections one replica's searches may hold at once, for a pool of {@code poolSize}: under half of it. */
  static Semaphore permits(int poolSize) {
    return new Semaphore(Math.max(0, poolSize / 2 - 1));
  }

  /**
   * On the vector search's thread, once the nearest chunks are known: re-checks them on a
   * connection of its own, unless the search has claimed the work or no side permit is free.
   */
  void run(Semaphore permits, Database database, Principal caller, List<UUID> chunkIds, Counter ran) {
    if (!permits.tryAcquire()) {
      return;
    }
    try {
      if (!claimed.compareAndSet(false, true)) {
        return;
      }
      try {
        rows.complete(SearchRepository.recheckAlone(database, caller, chunkIds));
        ran.increment();
      } catch (RuntimeException | Error e) {
        rows.completeExceptionally(e);
      }
    } finally {
      permits.release();
    }
  }

  /** Claims the work without doing it, if it was not claimed yet: the side leg will not run. */
  void abandon() {
    claimed.set(true);
  }

  /**
   * On the search's thread: the rows the side leg read, or null when it had not started (it will
   * not now, and the search re-checks on its own connection).
   */
  @Nullable Map<UUID, LiveChunk> join() {
    if (claimed.compareAndSet(false, true)) {
      return null;
    }
    return Futures.await(rows, "the vector hits were re-checked");
  }
}
