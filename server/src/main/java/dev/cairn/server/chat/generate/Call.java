package dev.cairn.server.chat.generate;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One generation's link to its cancellation: aborts whichever attempt is in flight and cuts a
 * backoff wait short, so a cancelled answer never waits for the model server.
 */
final class Call {
  private final Cancellation cancellation;
  private final CountDownLatch cancelled = new CountDownLatch(1);
  private @Nullable Upstream current;

  Call(Cancellation cancellation) {
    this.cancellation = cancellation;
  }

  void cancel() {
    cancelled.countDown();
    Upstream upstream;
    synchronized (this) {
      upstream = current;
    }
    if (upstream != null) {
      upstream.abort(Upstream.Abort.CANCELLED);
    }
  }

  boolean cancelled() {
    return cancelled.getCount() == 0 || cancellation.isCancelled();
  }

  /** The attempt now in flight; aborted at once if the answer is already cancelled. */
  void current(Upstream upstream) {
    synchronized (this) {
      current = upstream;
    }
    if (cancelled()) {
      upstream.abort(Upstream.Abort.CANCELLED);
    }
  }

  /** Waits {@code duration} before a retry; true if the answer was cancelled meanwhile. */
  boolean sleep(Duration duration) {
    try {
      return cancelled.await(duration.toNanos(), TimeUnit.NANOSECONDS) || cancelled();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }
}
