package dev.cairn.server.jobs;

import dev.cairn.server.jobs.JobQueue.KindStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The queue's meters, per kind: {@code cairn_jobs_depth} (pending and running jobs),
 * {@code cairn_jobs_oldest_age_seconds} (how long the oldest due job has waited),
 * {@code cairn_jobs_dead_letters} (dead jobs kept), and this replica's
 * {@code cairn_jobs_completed_total}, {@code cairn_jobs_failures_total} (failed attempts),
 * {@code cairn_jobs_dead_total} and {@code cairn_jobs_run_seconds}. The gauges read the last
 * snapshot of the whole queue (every replica reports the same values: aggregate with max);
 * the age is computed at scrape time from that snapshot, so it keeps growing between refreshes.
 */
final class JobMetrics {
  private final Clock clock;
  private final Map<String, PerKind> kinds = new HashMap<>();

  private static final class PerKind {
    final Counter completed;
    final Counter failures;
    final Counter dead;
    final Timer runs;
    volatile long depth;
    volatile long deadLetters;
    volatile @Nullable Instant oldestDue;

    PerKind(MeterRegistry registry, String kind) {
      completed = Counter.builder("cairn.jobs.completed").description("job attempts that succeeded")
          .tag("kind", kind).register(registry);
      failures = Counter.builder("cairn.jobs.failures").description("job attempts that failed")
          .tag("kind", kind).register(registry);
      dead = Counter.builder("cairn.jobs.dead").description("jobs dead-lettered after their last attempt")
          .tag("kind", kind).register(registry);
      runs = Timer.builder("cairn.jobs.run").description("how long a job's handler ran")
          .tag("kind", kind).register(registry);
    }
  }

  JobMetrics(MeterRegistry registry, Collection<String> kindNames, Clock clock) {
    this.clock = clock;
    for (String kind : kindNames) {
      PerKind k = new PerKind(registry, kind);
      kinds.put(kind, k);
      Gauge.builder("cairn.jobs.depth", k, x -> x.depth).description("jobs pending or running")
          .tag("kind", kind).strongReference(true).register(registry);
      Gauge.builder("cairn.jobs.dead.letters", k, x -> x.deadLetters).description("dead jobs kept for inspection")
          .tag("kind", kind).strongReference(true).register(registry);
      Gauge.builder("cairn.jobs.oldest.age", k, this::oldestAgeSeconds)
          .description("how long the oldest due job has been waiting")
          .baseUnit("seconds").tag("kind", kind).strongReference(true).register(registry);
    }
  }

  private double oldestAgeSeconds(PerKind k) {
    Instant due = k.oldestDue;
    return due == null ? 0 : Math.max(0, Duration.between(due, clock.instant()).toMillis() / 1000.0);
  }

  /** Takes a fresh snapshot of the queue; kinds without rows report zero. */
  void update(List<KindStats> stats) {
    Map<String, long[]> counts = new HashMap<>();
    Map<String, Instant> oldest = new HashMap<>();
    for (KindStats s : stats) {
      long[] c = counts.computeIfAbsent(s.kind(), x -> new long[2]);
      if (s.state().equals("DEAD")) {
        c[1] += s.jobs();
      } else {
        c[0] += s.jobs();
      }
      if (s.oldestDue() != null) {
        oldest.merge(s.kind(), s.oldestDue(), (a, b) -> a.isBefore(b) ? a : b);
      }
    }
    kinds.forEach((kind, k) -> {
      long[] c = counts.getOrDefault(kind, new long[2]);
      k.depth = c[0];
      k.deadLetters = c[1];
      k.oldestDue = oldest.get(kind);
    });
  }

  void completed(String kind, Duration took) {
    PerKind k = kinds.get(kind);
    k.completed.increment();
    k.runs.record(took);
  }

  void failed(String kind, Duration took) {
    PerKind k = kinds.get(kind);
    k.failures.increment();
    k.runs.record(took);
  }

  void dead(String kind) {
    kinds.get(kind).dead.increment();
  }
}
