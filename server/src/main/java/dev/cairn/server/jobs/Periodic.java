package dev.cairn.server.jobs;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.LoggableErrors;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a small task every interval on a virtual thread, typically one that finds due work
 * and enqueues jobs for it (with dedupe keys, so replicas doing the same add nothing twice).
 * A failed round is logged, scrubbed of data, and the next round runs as planned.
 */
public final class Periodic implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Periodic.class);

  private final ScheduledExecutorService scheduler;

  private Periodic(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
  }

  /** Runs {@code task} every {@code every} (first after one interval) until {@link #close}. */
  public static Periodic every(Duration every, String what, Runnable task) {
    requireNonNull(what, "what");
    requireNonNull(task, "task");
    var scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("cairn-" + what).factory());
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("{} failed; trying again in {}", what, every, LoggableErrors.scrub(e));
      }
    }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return new Periodic(scheduler);
  }

  @Override
  public void close() {
    // not interrupted at once: an interrupt would close a pooled connection mid-statement
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(5, TimeUnit.SECONDS)) {
        scheduler.shutdownNow();
      }
    } catch (InterruptedException e) {
      scheduler.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
