package dev.cairn.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.Principal;
import dev.cairn.server.db.jooq.Tables;
import dev.cairn.server.jobs.JobQueue.AfterFailure;
import dev.cairn.server.jobs.JobsFixture.Row;
import dev.cairn.server.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jooq.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the application role can do with jobs: insert them only for its own user (or an owner
 * who granted it something, or as the admin), and otherwise only through the SECURITY DEFINER
 * functions of V14, each of which acts on the jobs the caller holds the lease of, or reports
 * counts without owners or contents.
 */
class JobQueueSecurityTest {
  private final JobsFixture jobs = new JobsFixture();
  private final UUID alice = JobsFixture.newUser();
  private final UUID bob = JobsFixture.newUser();

  @AfterEach
  void close() {
    jobs.close();
  }


  private static String sqlState(Connection c, String sql, Object... args) {
    try (var st = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        st.setObject(i + 1, args[i]);
      }
      st.execute();
      return "ok";
    } catch (SQLException e) {
      return e.getSQLState();
    }
  }

  @Test
  void applicationRoleCannotReadChangeOrDeleteJobs() throws Exception {
    jobs.enqueue(bob, jobs.job(bob).withPayload("{\"secret\": \"bob's\"}"));
    try (Connection c = TestDatabase.appRoleAs(bob)) {
      // not even the owner's own: jobs are the server's, read only through the functions
      assertThat(sqlState(c, "SELECT payload FROM cairn.jobs")).isEqualTo("42501");
      c.rollback();
      assertThat(sqlState(c, "UPDATE cairn.jobs SET state = 'DONE'")).isEqualTo("42501");
      c.rollback();
      assertThat(sqlState(c, "DELETE FROM cairn.jobs")).isEqualTo("42501");
    }
    assertThat(jobs.only().state()).isEqualTo("PENDING");
  }

  @Test
  void applicationRoleCannotEnqueueForAnotherOwnerOrServerWide() {
    assertThatThrownBy(() -> jobs.db.transaction(Principal.system(alice), sql -> jobs.queue.enqueue(sql, jobs.job(bob))))
        .hasStackTraceContaining("row-level security");
    assertThatThrownBy(() -> jobs.db.transaction(Principal.system(alice), sql -> jobs.queue.enqueue(sql, Job.serverWide(jobs.kind))))
        .hasStackTraceContaining("row-level security");
    assertThat(jobs.rows()).isEmpty();

    boolean added = jobs.db.transaction(Principal.forAdmin(), sql -> jobs.queue.enqueue(sql, Job.serverWide(jobs.kind)));
    assertThat(added).isTrue();
    assertThat(jobs.rows()).hasSize(1);
  }

  @Test
  void aGranteeMayEnqueueWorkOnTheGrantorsData() throws Exception {
    try (Connection c = JobsFixture.superuser();
        var st = c.prepareStatement("INSERT INTO cairn.grants (id, owner_id, grantor_id, grantee_id, item_id, role)"
            + " VALUES (?, ?, ?, ?, ?, 'WRITE')")) {
      st.setObject(1, UUID.randomUUID());
      st.setObject(2, bob);
      st.setObject(3, bob);
      st.setObject(4, alice);
      st.setObject(5, UUID.randomUUID());
      st.execute();
    }
    boolean added = jobs.db.transaction(Principal.system(alice), sql -> jobs.queue.enqueue(sql, jobs.job(bob)));
    assertThat(added).isTrue();
    UUID carol = JobsFixture.newUser();
    assertThatThrownBy(() -> jobs.db.transaction(Principal.system(alice), sql -> jobs.queue.enqueue(sql, jobs.job(carol))))
        .hasStackTraceContaining("row-level security");
  }

  @Test
  void finishAndFailActOnlyOnTheAttemptTheCallerLeases() {
    jobs.enqueue(alice, jobs.job(alice));
    ClaimedJob held = jobs.queue.claim(Set.of(jobs.kind), "worker-a", 1, JobsFixture.LEASE).get(0);
    var otherAttempt = new ClaimedJob(held.id(), held.kind(), held.ownerId(), held.payload(), held.attempt() + 1, held.maxAttempts());

    assertThat(jobs.queue.finish(held, "worker-b")).isFalse();
    assertThat(jobs.queue.fail(held, "worker-b", "x", jobs.clock.instant())).isEqualTo(AfterFailure.LEASE_LOST);
    assertThat(jobs.queue.finish(otherAttempt, "worker-a")).isFalse();
    assertThat(jobs.queue.renew("worker-b", Duration.ofDays(365))).isZero();
    Row row = jobs.only();
    assertThat(row.state()).isEqualTo("RUNNING");
    assertThat(row.lockedBy()).isEqualTo("worker-a");

    assertThat(jobs.queue.finish(held, "worker-a")).isTrue();
    assertThat(jobs.queue.finish(held, "worker-a")).as("done once").isFalse();
    assertThat(jobs.queue.fail(held, "worker-a", "x", jobs.clock.instant())).as("a done job cannot be reopened")
        .isEqualTo(AfterFailure.LEASE_LOST);
    assertThat(jobs.only().state()).isEqualTo("DONE");
  }

  @Test
  void aPendingJobCannotBeFinishedOrFailedWithoutBeingClaimed() {
    jobs.enqueue(alice, jobs.job(alice));
    UUID id = jobs.only().id();
    var forged = new ClaimedJob(id, jobs.kind, alice, "{}", 0, 3);
    assertThat(jobs.queue.finish(forged, "anyone")).isFalse();
    assertThat(jobs.queue.fail(forged, "anyone", "x", jobs.clock.instant())).isEqualTo(AfterFailure.LEASE_LOST);
    assertThat(jobs.only().state()).isEqualTo("PENDING");
  }

  @Test
  void claimTakesNoLiveLeaseNoFutureJobAndNothingFinished() {
    jobs.enqueue(alice, jobs.job(alice).withDelay(Duration.ofHours(1)));
    jobs.enqueue(alice, jobs.job(alice).withPayload("{\"leased\": true}"));
    jobs.queue.claim(Set.of(jobs.kind), "worker-a", 10, JobsFixture.LEASE);
    var finished = jobs.worker(JobHandler.of(jobs.kind, job -> {}));
    assertThat(jobs.rows()).extracting(Row::state).containsExactlyInAnyOrder("PENDING", "RUNNING");

    assertThat(jobs.queue.claim(Set.of(jobs.kind), "worker-b", 10, JobsFixture.LEASE)).isEmpty();
    assertThat(finished.runDue()).isZero();
    // other kinds are not taken by a worker that did not ask for them
    assertThat(jobs.queue.claim(Set.of("some-other-kind"), "worker-b", 10, Duration.ofDays(1))).isEmpty();
  }

  @Test
  void claimRefusesBadArguments() {
    assertThatThrownBy(() -> jobs.queue.claim(Set.of(jobs.kind), "w", 0, JobsFixture.LEASE)).hasStackTraceContaining("claim_jobs: bad arguments");
    assertThatThrownBy(() -> jobs.queue.claim(Set.of(jobs.kind), "w", 100_000, JobsFixture.LEASE)).hasStackTraceContaining("claim_jobs: bad arguments");
    assertThatThrownBy(() -> jobs.queue.claim(Set.of(jobs.kind), "", 1, JobsFixture.LEASE)).hasStackTraceContaining("claim_jobs: bad arguments");
  }

  @Test
  void queueStatisticsNameNoOwnerPayloadOrError() {
    List<String> columns = java.util.Arrays.stream(Tables.JOB_QUEUE_STATS.fields()).map(Field::getName).toList();
    assertThat(columns).containsExactly("kind", "state", "jobs", "oldest_due");
  }

  @Test
  void onlyTheApplicationRoleMayCallTheQueueFunctions() throws Exception {
    try (Connection owner = JobsFixture.superuser(); var st = owner.createStatement()) {
      st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jobs_outsider') THEN "
          + "CREATE ROLE jobs_outsider LOGIN PASSWORD 'outsider'; END IF; END $$");
      st.execute("GRANT USAGE ON SCHEMA cairn TO jobs_outsider");
    }
    try (Connection c = DriverManager.getConnection(TestDatabase.get().url(), "jobs_outsider", "outsider")) {
      assertThat(sqlState(c, "SELECT * FROM cairn.claim_jobs(ARRAY['x'], 'w', 1, now() + interval '1 minute')")).isEqualTo("42501");
      assertThat(sqlState(c, "SELECT cairn.finish_job(?, 'w', 1)", UUID.randomUUID())).isEqualTo("42501");
      assertThat(sqlState(c, "SELECT * FROM cairn.job_queue_stats()")).isEqualTo("42501");
      assertThat(sqlState(c, "SELECT cairn.delete_done_jobs(now(), 10)")).isEqualTo("42501");
    }
  }
}
