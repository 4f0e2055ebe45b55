package dev.cairn.server.jobs;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.config.CairnConfig.JobsConfig;
import dev.cairn.server.db.LoggableErrors;
import dev.cairn.server.jobs.JobQueue.AfterFailure;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs due jobs of its handlers' kinds, at most {@code concurrency} at once, each on its own
 * virtual thread. Every replica runs one: claims use SKIP LOCKED, so workers never take the
 * same job twice, and a job whose worker died is taken over when its lease runs out. While
 * jobs run, their leases are renewed. Also keeps the queue's metrics fresh and deletes old
 * finished jobs. {@link #close} stops claiming and lets running jobs finish within a bound.
 */
public final class JobWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobWorker.class);
  private static final Duration STATS_EVERY = Duration.ofSeconds(15);
  private static final Duration CLEANUP_EVERY = Duration.ofHours(1);
  private static final Duration DRAIN = Duration.ofSeconds(10);
  private static final int CLEANUP_BATCH = 5_000;
  private static final int MAX_ERROR_CHARS = 300;
  private static final java.util.regex.Pattern PACKAGE_PREFIX = java.util.regex.Pattern.compile("^([a-z0-9_]+\\.)+");

  private final JobQueue queue;
  private final Map<String, JobHandler> handlers = new LinkedHashMap<>();
  private final JobsConfig settings;
  private final Clock clock;
  private final Backoff backoff;
  private final JobMetrics metrics;
  private final String name;
  private final Semaphore slots;
  private final ExecutorService runners = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("cairn-job-", 0).factory());
  private final ScheduledExecutorService housekeeping =
      Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("cairn-jobs-housekeeping").factory());
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private @Nullable Thread poller;
  private volatile Instant lastCleanup = Instant.MIN;
  private final Tracer tracer;

  public JobWorker(
      JobQueue queue, List<JobHandler> handlers, JobsConfig settings, MeterRegistry registry, RandomGenerator random) {
    this(queue, handlers, settings, registry, random, TracerProvider.noop().get("none"));
  }

  /** As above, with a span for each job run from {@code tracer}. */
  public JobWorker(JobQueue queue, List<JobHandler> handlers, JobsConfig settings, MeterRegistry registry,
      RandomGenerator random, Tracer tracer) {
    this.tracer = requireNonNull(tracer, "tracer");
    this.queue = requireNonNull(queue, "queue");
    this.settings = requireNonNull(settings, "settings");
    this.clock = queue.clock();
    for (JobHandler handler : handlers) {
      if (this.handlers.putIfAbsent(handler.kind(), handler) != null) {
        throw new IllegalArgumentException("two handlers for job kind " + handler.kind());
      }
    }
    this.backoff = new Backoff(settings.backoffBase(), settings.backoffMax(), random);
    this.metrics = new JobMetrics(registry, this.handlers.keySet(), clock);
    this.slots = new Semaphore(Math.max(1, settings.concurrency()), true);
    byte[] suffix = new byte[4];
    random.nextBytes(suffix);
    // who holds a lease: the pod name on Kubernetes, plus a suffix unique to this worker
    this.name = System.getenv().getOrDefault("HOSTNAME", "cairn") + "-" + HexFormat.of().formatHex(suffix);
  }

  /** Starts polling, lease renewal and housekeeping in the background. */
  public JobWorker start() {
    if (handlers.isEmpty()) {
      return this;
    }
    // logged before the poller starts taking slots: the free permits are the configured capacity
    log.info("job worker {} runs up to {} jobs at once of kinds {}", name, Math.max(1, settings.concurrency()),
        handlers.keySet());
    poller = Thread.ofVirtual().name("cairn-jobs-poller").start(this::poll);
    long renewMillis = Math.max(1000, settings.lease().toMillis() / 3);
    housekeeping.scheduleWithFixedDelay(this::renewQuietly, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
    housekeeping.scheduleWithFixedDelay(this::housekeepQuietly, 0, STATS_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** The name its leases carry. */
  public String name() {
    return name;
  }

  private void poll() {
    long waitMillis = settings.pollInterval().toMillis();
    try {
      while (!closing.get()) {
        if (!slots.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
          continue; // every slot busy
        }
        if (closing.get()) {
          slots.release();
          return;
        }
        int claimed;
        try {
          claimed = claimAndStart(1 + slots.drainPermits());
        } catch (RuntimeException e) {
          log.warn("could not claim jobs; trying again in {}", settings.pollInterval(), LoggableErrors.scrub(e));
          claimed = 0;
        }
        // not interrupted to stop: an interrupt would close a pooled connection mid-statement
        if (claimed == 0 && stopped.await(waitMillis, TimeUnit.MILLISECONDS)) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Claims up to {@code free} jobs (the caller holds that many slots) and starts them. */
  private int claimAndStart(int free) {
    List<ClaimedJob> jobs = List.of();
    try {
      jobs = queue.claim(handlers.keySet(), name, free, settings.lease());
    } finally {
      slots.release(free - jobs.size());
    }
    for (ClaimedJob job : jobs) {
      try {
        runners.execute(() -> {
          try {
            execute(job);
          } finally {
            slots.release();
          }
        });
      } catch (RejectedExecutionException shuttingDown) {
        slots.release();
        log.info("job {} ({}) claimed during shutdown; it runs again when its lease runs out", job.id(), job.kind());
      }
    }
    return jobs.size();
  }

  /**
   * Runs every job that is due now, in the background slots, and returns when none is due and
   * none is running (tools and tests; the poller may run some of them). Returns how many it claimed.
   */
  public int runDue() {
    int claimed = 0;
    int capacity = Math.max(1, settings.concurrency());
    try {
      int n;
      do {
        slots.acquire();
        n = claimAndStart(1 + slots.drainPermits());
        claimed += n;
      } while (n > 0);
      slots.acquire(capacity); // every slot free: nothing is running
      slots.release(capacity);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return claimed;
  }

  /**
   * Runs one attempt in its own trace (a root: the job outlives the call that enqueued it, and a
   * retry may run hours later), so its database spans and log lines hang together; the span says
   * kind, attempt and outcome, and links to the span that enqueued the job, if one was current.
   */
  private void execute(ClaimedJob job) {
    SpanContext enqueuedBy = JobTrace.enqueuedBy(job.traceparent());
    var builder = tracer.spanBuilder("job " + job.kind()).setParent(Context.root());
    if (enqueuedBy.isValid()) {
      builder.addLink(enqueuedBy);
    }
    Span span = builder
        .setAttribute("cairn.job.kind", job.kind())
        .setAttribute("cairn.job.id", job.id().toString())
        .setAttribute("cairn.job.attempt", job.attempt())
        .setAttribute("cairn.job.max_attempts", job.maxAttempts())
        .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      String outcome = runAndRecord(job);
      span.setAttribute("cairn.job.outcome", outcome);
      if (!outcome.equals("done")) {
        span.setStatus(StatusCode.ERROR, outcome);
      }
    } finally {
      span.end();
    }
  }

  /** Runs the handler and records the result in the queue; returns the outcome, for the span. */
  private String runAndRecord(ClaimedJob job) {
    JobHandler handler = requireNonNull(handlers.get(job.kind()));
    long started = System.nanoTime();
    try {
      handler.run(job);
    } catch (Exception e) {
      return failed(job, e, Duration.ofNanos(System.nanoTime() - started));
    }
    metrics.completed(job.kind(), Duration.ofNanos(System.nanoTime() - started));
    try {
      if (!queue.finish(job, name)) {
        log.warn("job {} ({}) finished after its lease was lost; another worker may run it again", job.id(), job.kind());
      }
    } catch (RuntimeException e) {
      log.warn("job {} ({}) ran but could not be marked done; it runs again when its lease runs out",
          job.id(), job.kind(), LoggableErrors.scrub(e));
    }
    return "done";
  }

  private String failed(ClaimedJob job, Exception e, Duration took) {
    metrics.failed(job.kind(), took);
    if (closing.get() && (e instanceof InterruptedException || Thread.currentThread().isInterrupted())) {
      log.info("job {} ({}) stopped by shutdown; it runs again when its lease runs out", job.id(), job.kind());
      return "stopped";
    }
    Throwable safe = LoggableErrors.scrub(e);
    Instant retryAt = clock.instant().plus(backoff.after(job.attempt()));
    AfterFailure after;
    try {
      after = queue.fail(job, name, describe(safe), retryAt);
    } catch (RuntimeException recording) {
      log.warn("job {} ({}) failed and the failure could not be recorded; it runs again when its lease runs out",
          job.id(), job.kind(), LoggableErrors.scrub(recording));
      return "failed";
    }
    switch (after) {
      case DEAD -> {
        metrics.dead(job.kind());
        log.error("job {} ({}) is dead after {} attempts", job.id(), job.kind(), job.attempt(), safe);
      }
      case RETRY -> log.warn("job {} ({}) attempt {} of {} failed; retrying at {}",
          job.id(), job.kind(), job.attempt(), job.maxAttempts(), retryAt, safe);
      case SUPERSEDED -> log.warn("job {} ({}) failed; a newer pending twin will do its work", job.id(), job.kind(), safe);
      case LEASE_LOST -> log.warn("job {} ({}) failed after its lease was lost", job.id(), job.kind(), safe);
    }
    return after.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** A short line for last_error: the failure's class and (scrubbed) message, and its causes'. */
  static String describe(Throwable t) {
    var out = new StringBuilder();
    List<Throwable> seen = new ArrayList<>();
    for (Throwable c = t; c != null && seen.size() < 4 && !seen.contains(c); c = c.getCause()) {
      seen.add(c);
      if (!out.isEmpty()) {
        out.append(" <- ");
      }
      // a scrubbed copy's message is "<original class>: <safe message>"
      String line = c.getClass().getName().endsWith("$Scrubbed") ? String.valueOf(c.getMessage())
          : c.getClass().getName() + ": " + c.getMessage();
      out.append(PACKAGE_PREFIX.matcher(line).replaceFirst(""));
    }
    return out.length() <= MAX_ERROR_CHARS ? out.toString() : out.substring(0, MAX_ERROR_CHARS - 1) + "…";
  }

  private void renewQuietly() {
    try {
      if (slots.availablePermits() < Math.max(1, settings.concurrency())) {
        queue.renew(name, settings.lease());
      }
    } catch (RuntimeException e) {
      log.warn("could not renew job leases", LoggableErrors.scrub(e));
    }
  }

  private void housekeepQuietly() {
    try {
      housekeep();
    } catch (RuntimeException e) {
      log.warn("job queue housekeeping failed; trying again later", LoggableErrors.scrub(e));
    }
  }

  /** Refreshes the queue metrics and, at most hourly, deletes finished jobs past retention. */
  public void housekeep() {
    refreshStats();
    Instant now = clock.instant();
    if (lastCleanup.plus(CLEANUP_EVERY).isBefore(now)) {
      lastCleanup = now;
      deleteDone();
    }
  }

  /** Reads the queue's shape into the metrics. */
  public void refreshStats() {
    metrics.update(queue.stats());
  }

  /** Deletes DONE jobs older than the retention; returns how many. */
  public int deleteDone() {
    Instant before = clock.instant().minus(settings.doneRetention());
    int total = 0;
    int n;
    do {
      n = queue.deleteDone(before, CLEANUP_BATCH);
      total += n;
    } while (n == CLEANUP_BATCH && !closing.get());
    if (total > 0) {
      log.info("deleted {} finished jobs older than {}", total, settings.doneRetention());
    }
    return total;
  }

  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    stopped.countDown();
    try {
      Thread p = poller;
      if (p != null) {
        p.join(settings.pollInterval().toMillis() + 5_000);
      }
      housekeeping.shutdown(); // cancels the periodic tasks; one running finishes
      runners.shutdown();
      if (!runners.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("jobs still running after {}; interrupting them (they run again when their leases run out)", DRAIN);
        runners.shutdownNow();
        runners.awaitTermination(5, TimeUnit.SECONDS);
      }
      housekeeping.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      runners.shutdownNow();
      housekeeping.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
