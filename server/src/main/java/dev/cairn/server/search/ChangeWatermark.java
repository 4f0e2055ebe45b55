package dev.cairn.server.search;

import java.util.Map;
import java.util.TreeMap;

/**
 * Which vector changes a replica has applied, when change numbers may commit out of order
 * (V22: one owner's changes are serialised, different owners' are not). {@link #through()} is
 * the durable high-water mark W: every number at or below it is applied or will never exist.
 * Above it the numbers already applied are kept in memory, each with the {@code xmax} of the
 * snapshot it was first seen in, so a change is applied once and a missing number is skipped
 * only once it can no longer commit.
 *
 * <p>Why that test is exact: numbers are taken in order, and a transaction takes its number
 * after it has its xid (it has already written chunks). A number g missing below a number b
 * seen in snapshot S was taken before b, so before S: its transaction's xid is below
 * {@code xmax(S)}. Once a later snapshot's {@code xmin} (the oldest xid still running) has
 * reached {@code xmax(S)}, that transaction has ended, and if it committed, g is in that
 * snapshot. So a page read in such a snapshot that starts at W and lacks g proves g absent.
 *
 * <p>Not thread-safe: {@link VectorSync} holds its lock around every use.
 */
final class ChangeWatermark {
  private long through;
  /** Applied numbers above {@link #through}, with the xmax of the snapshot that first showed them. */
  private final TreeMap<Long, Long> applied = new TreeMap<>();

  ChangeWatermark(long through) {
    this.through = through;
  }

  long through() {
    return through;
  }

  /** Numbers above the watermark applied so far (kept in memory until the gaps below them close). */
  int ahead() {
    return applied.size();
  }

  /** False when {@code seq} is already applied (at or below the mark, or remembered above it). */
  boolean firstSight(long seq) {
    return seq > through && !applied.containsKey(seq);
  }

  /** Records {@code seq} as applied, first seen in a snapshot with {@code xmax}. */
  void applied(long seq, long xmax) {
    if (seq > through) {
      applied.putIfAbsent(seq, xmax);
    }
  }

  /**
   * Moves the mark after a page read in a snapshot with {@code xmin} that held every committed
   * change in {@code (from, last]} ({@code last}: the page's last number when the page was full,
   * else unbounded). Only a page that starts at the mark can prove a gap closed.
   */
  void advance(long from, long last, long xmin) {
    if (from != through) {
      return;
    }
    for (var it = applied.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Long> e = it.next();
      long seq = e.getKey();
      if (seq > last) {
        return;
      }
      // contiguous, or every number before it is proven gone (its first snapshot has ended)
      if (seq != through + 1 && e.getValue() > xmin) {
        return;
      }
      through = seq;
      it.remove();
    }
  }

  /** Starts over from a rebuild (or a restart) at {@code through}. */
  void reset(long through) {
    this.through = through;
    applied.clear();
  }
}
