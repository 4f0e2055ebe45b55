package dev.cairn.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.Principal;
import dev.cairn.server.jobs.JobQueue.AfterFailure;
import dev.cairn.server.jobs.JobsFixture.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The job queue against the real database, with real worker threads and a clock moved by hand. */
class JobQueueTest {
  private final JobsFixture jobs = new JobsFixture();
  private final UUID owner = JobsFixture.newUser();

  @AfterEach
  void close() {
    jobs.close();
  }

  @Test
  void enqueueRolledBackWithItsTransactionLeavesNoJob() {
    assertThatThrownBy(() -> jobs.db.transaction(Principal.system(owner), sql -> {
      jobs.queue.enqueue(sql, jobs.job(owner));
      throw new IllegalStateException("the write that caused it failed");
    })).hasMessageContaining("failed");
    assertThat(jobs.rows()).isEmpty();

    assertThat(jobs.enqueue(owner, jobs.job(owner))).isTrue();
    assertThat(jobs.rows()).extracting(Row::state).containsExactly("PENDING");
  }

  @Test
  void jobEnqueuedInACommittedTransactionRunsOnceAsItsOwner() throws Exception {
    var runs = new CopyOnWriteArrayList<ClaimedJob>();
    var worker = jobs.worker(JobHandler.of(jobs.kind, runs::add)).start();
    jobs.enqueue(owner, jobs.job(owner).withPayload("{\"item\": \"items/1\"}"));

    jobs.awaitAll("DONE", 1, Duration.ofSeconds(10));
    worker.runDue();
    assertThat(runs).hasSize(1);
    ClaimedJob run = runs.get(0);
    assertThat(run.principal()).isEqualTo(Principal.system(owner));
    assertThat(run.payload()).contains("items/1");
    assertThat(run.attempt()).isEqualTo(1);
  }

  @Test
  void twoWorkersRacingOverTwoHundredJobsRunEachExactlyOnce() throws Exception {
    jobs.db.transaction(Principal.system(owner), sql -> {
      for (int i = 0; i < 200; i++) {
        jobs.queue.enqueue(sql, jobs.job(owner).withPayload("{\"n\": " + i + "}"));
      }
      return null;
    });
    Map<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();
    JobHandler handler = JobHandler.of(jobs.kind, job -> {
      runs.computeIfAbsent(job.id(), x -> new AtomicInteger()).incrementAndGet();
      Thread.sleep(2);
    });
    // two workers as on two replicas: same queue, each its own name, slots and threads
    var first = jobs.worker(handler);
    var second = jobs.worker(handler);
    first.start();
    second.start();

    jobs.awaitAll("DONE", 200, Duration.ofSeconds(60));
    assertThat(runs).hasSize(200);
    assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    assertThat(jobs.rows()).extracting(Row::attempts).containsOnly(1);
  }

  @Test
  void failingHandlerIsRetriedWithGrowingBackoffThenDeadLettered() {
    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    List<Instant> failedAt = new ArrayList<>();
    var worker = jobs.worker(JobHandler.of(jobs.kind, job -> {
      failedAt.add(jobs.clock.instant());
      throw new IllegalStateException("boom on attempt " + job.attempt());
    }), 1, registry);
    jobs.enqueue(owner, jobs.job(owner).withMaxAttempts(4));

    List<Duration> delays = new ArrayList<>();
    for (int attempt = 1; attempt <= 3; attempt++) {
      assertThat(worker.runDue()).isEqualTo(1);
      Row row = jobs.only();
      assertThat(row.state()).isEqualTo("PENDING");
      assertThat(row.attempts()).isEqualTo(attempt);
      assertThat(row.lastError()).isEqualTo("IllegalStateException: boom on attempt " + attempt);
      Duration delay = Duration.between(failedAt.get(attempt - 1), row.runAt());
      long ceiling = 5_000L << (attempt - 1);
      assertThat(delay.toMillis()).as("delay after attempt %d", attempt).isBetween(ceiling / 2, ceiling + 100);
      delays.add(delay);

      assertThat(worker.runDue()).as("not due before its backoff").isZero();
      jobs.clock.advance(delay.plusMillis(10));
    }
    assertThat(delays).isSorted().doesNotHaveDuplicates();

    assertThat(worker.runDue()).isEqualTo(1);
    Row dead = jobs.only();
    assertThat(dead.state()).isEqualTo("DEAD");
    assertThat(dead.attempts()).isEqualTo(4);
    assertThat(dead.lastError()).contains("boom on attempt 4");
    jobs.clock.advance(Duration.ofDays(1));
    assertThat(worker.runDue()).as("a dead job is kept, not run").isZero();

    assertThat(registry.get("cairn.jobs.failures").tag("kind", jobs.kind).counter().count()).isEqualTo(4);
    assertThat(registry.get("cairn.jobs.dead").tag("kind", jobs.kind).counter().count()).isEqualTo(1);
    assertThat(registry.get("cairn.jobs.completed").tag("kind", jobs.kind).counter().count()).isZero();
  }

  @Test
  void jobOfAWorkerThatDiedIsTakenOverWhenItsLeaseRunsOut() {
    jobs.enqueue(owner, jobs.job(owner));
    // a replica claims the job and dies before finishing it
    List<ClaimedJob> taken = jobs.queue.claim(Set.of(jobs.kind), "dead-replica", 10, JobsFixture.LEASE);
    assertThat(taken).hasSize(1);
    var runs = new CopyOnWriteArrayList<ClaimedJob>();
    var survivor = jobs.worker(JobHandler.of(jobs.kind, runs::add));

    assertThat(survivor.runDue()).as("the lease still holds").isZero();
    jobs.clock.advance(JobsFixture.LEASE.plusSeconds(1));
    assertThat(survivor.runDue()).isEqualTo(1);

    assertThat(runs).extracting(ClaimedJob::attempt).containsExactly(2);
    assertThat(jobs.only().state()).isEqualTo("DONE");
    // the dead replica coming back cannot finish or fail what it no longer holds
    assertThat(jobs.queue.finish(taken.get(0), "dead-replica")).isFalse();
    assertThat(jobs.queue.fail(taken.get(0), "dead-replica", "late", jobs.clock.instant())).isEqualTo(AfterFailure.LEASE_LOST);
    assertThat(jobs.only().state()).isEqualTo("DONE");
  }

  @Test
  void aLeaseThatRunsOutOnTheLastAttemptDeadLettersTheJob() {
    jobs.enqueue(owner, jobs.job(owner).withMaxAttempts(1));
    assertThat(jobs.queue.claim(Set.of(jobs.kind), "dead-replica", 10, JobsFixture.LEASE)).hasSize(1);
    var runs = new AtomicInteger();
    var survivor = jobs.worker(JobHandler.of(jobs.kind, job -> runs.incrementAndGet()));

    jobs.clock.advance(JobsFixture.LEASE.plusSeconds(1));
    assertThat(survivor.runDue()).isZero();

    assertThat(runs).hasValue(0);
    Row row = jobs.only();
    assertThat(row.state()).isEqualTo("DEAD");
    assertThat(row.lastError()).contains("lease expired");
  }

  @Test
  void aRunningWorkerRenewsItsLeaseSoTheJobIsNotTakenOver() throws Exception {
    jobs.enqueue(owner, jobs.job(owner));
    var release = new CountDownLatch(1);
    var started = new CountDownLatch(1);
    var worker = jobs.worker(JobHandler.of(jobs.kind, job -> {
      started.countDown();
      release.await(10, TimeUnit.SECONDS);
    }));
    var run = new Thread(worker::runDue);
    run.start();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    jobs.clock.advance(JobsFixture.LEASE.dividedBy(2));
    assertThat(jobs.queue.renew(worker.name(), JobsFixture.LEASE)).isEqualTo(1);
    jobs.clock.advance(JobsFixture.LEASE.dividedBy(2).plusSeconds(1));
    assertThat(jobs.queue.claim(Set.of(jobs.kind), "other-replica", 10, JobsFixture.LEASE))
        .as("renewed: past the first lease, still held").isEmpty();

    release.countDown();
    run.join(10_000);
    assertThat(jobs.only().state()).isEqualTo("DONE");
  }

  @Test
  void dedupeKeyKeepsOnePendingJobPerOwner() {
    UUID other = JobsFixture.newUser();
    assertThat(jobs.enqueue(owner, jobs.job(owner).withDedupeKey("k"))).isTrue();
    assertThat(jobs.enqueue(owner, jobs.job(owner).withDedupeKey("k"))).as("a pending twin").isFalse();
    assertThat(jobs.enqueue(other, jobs.job(other).withDedupeKey("k"))).as("another owner's key is theirs").isTrue();
    assertThat(jobs.rows()).hasSize(2);

    // once claimed, a new write needs a new run: a twin is queued behind the running one
    List<ClaimedJob> running = jobs.queue.claim(Set.of(jobs.kind), "w", 10, JobsFixture.LEASE);
    assertThat(running).hasSize(2);
    assertThat(jobs.enqueue(owner, jobs.job(owner).withDedupeKey("k"))).isTrue();
    ClaimedJob mine = running.stream().filter(j -> owner.equals(j.ownerId())).findFirst().orElseThrow();
    // the running one fails: its retry would be the pending twin, so it closes instead
    assertThat(jobs.queue.fail(mine, "w", "boom", jobs.clock.instant())).isEqualTo(AfterFailure.SUPERSEDED);
    assertThat(jobs.rows()).extracting(Row::state).containsExactlyInAnyOrder("DONE", "RUNNING", "PENDING");
  }

  @Test
  void metricsReportDepthOldestAgeAndFailures() {
    var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    var worker = jobs.worker(JobHandler.of(jobs.kind, job -> {
      if (job.payload().contains("fail")) {
        throw new IllegalStateException("failing on purpose");
      }
    }), 2, registry);
    jobs.enqueue(owner, jobs.job(owner));
    jobs.enqueue(owner, jobs.job(owner));
    jobs.enqueue(owner, jobs.job(owner).withPayload("{\"fail\": true}"));
    jobs.clock.advance(Duration.ofSeconds(30));

    worker.refreshStats();
    assertThat(gauge(registry, "cairn.jobs.depth")).isEqualTo(3);
    assertThat(gauge(registry, "cairn.jobs.oldest.age")).isBetween(30.0, 40.0);

    assertThat(worker.runDue()).isEqualTo(3);
    worker.refreshStats();
    assertThat(gauge(registry, "cairn.jobs.depth")).as("the failed one waits for its retry").isEqualTo(1);
    assertThat(gauge(registry, "cairn.jobs.oldest.age")).as("not due yet").isZero();
    assertThat(registry.get("cairn.jobs.failures").tag("kind", jobs.kind).counter().count()).isEqualTo(1);
    assertThat(registry.get("cairn.jobs.completed").tag("kind", jobs.kind).counter().count()).isEqualTo(2);

    String scrape = registry.scrape();
    for (String name : List.of("cairn_jobs_depth", "cairn_jobs_oldest_age_seconds", "cairn_jobs_dead_letters",
        "cairn_jobs_failures_total", "cairn_jobs_dead_total", "cairn_jobs_completed_total", "cairn_jobs_run_seconds_count")) {
      assertThat(scrape).contains(name + "{kind=\"" + jobs.kind + "\"}");
    }
  }

  @Test
  void finishedJobsAreDeletedAfterTheirRetentionAndDeadOnesAreKept() {
    var worker = jobs.worker(JobHandler.of(jobs.kind, job -> {
      if (job.payload().contains("fail")) {
        throw new IllegalStateException("dead on purpose");
      }
    }));
    jobs.enqueue(owner, jobs.job(owner));
    jobs.enqueue(owner, jobs.job(owner).withPayload("{\"fail\": true}").withMaxAttempts(1));
    worker.runDue();
    assertThat(jobs.rows()).extracting(Row::state).containsExactlyInAnyOrder("DONE", "DEAD");

    assertThat(worker.deleteDone()).as("within retention").isZero();
    jobs.clock.advance(Duration.ofHours(25));
    assertThat(worker.deleteDone()).isGreaterThanOrEqualTo(1);
    assertThat(jobs.rows()).extracting(Row::state).containsExactly("DEAD");
  }

  @Test
  void closeLetsARunningJobFinish() throws Exception {
    jobs.enqueue(owner, jobs.job(owner));
    var started = new CountDownLatch(1);
    var worker = jobs.worker(JobHandler.of(jobs.kind, job -> {
      started.countDown();
      Thread.sleep(200);
    })).start();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    worker.close();
    assertThat(jobs.only().state()).isEqualTo("DONE");
  }

  private double gauge(io.micrometer.core.instrument.MeterRegistry registry, String name) {
    return registry.get(name).tag("kind", jobs.kind).gauge().value();
  }
}
