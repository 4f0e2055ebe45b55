package dev.cairn.server.jobs;

import static dev.cairn.server.db.jooq.Tables.JOBS;
import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.jooq.Routines;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * The job table's one door. {@link #enqueue} writes in the caller's transaction, so the job
 * exists exactly when the write that caused it committed. The other steps (claim, finish,
 * fail, renew, statistics, retention) each go through one SECURITY DEFINER function of
 * V14__jobs.sql, in a short transaction of their own: the application role cannot read or
 * change jobs otherwise.
 */
public final class JobQueue {
  private final Database database;
  private final Clock clock;
  private final Supplier<UUID> ids;
  private final int defaultMaxAttempts;

  public JobQueue(Database database, Clock clock, Supplier<UUID> ids, int defaultMaxAttempts) {
    this.database = requireNonNull(database, "database");
    this.clock = requireNonNull(clock, "clock");
    this.ids = requireNonNull(ids, "ids");
    if (defaultMaxAttempts < 1 || defaultMaxAttempts > 100) {
      throw new IllegalArgumentException("defaultMaxAttempts: " + defaultMaxAttempts + " (expected: 1..100)");
    }
    this.defaultMaxAttempts = defaultMaxAttempts;
  }

  /**
   * Adds {@code job} inside {@code tx}, the caller's transaction: it rolls back with it. Returns
   * false when a pending job of the same kind, owner and dedupe key is already queued (nothing
   * is added). Row-level security admits only jobs for the transaction's user, for an owner who
   * granted that user something, or any job for the admin.
   */
  public boolean enqueue(DSLContext tx, Job job) {
    requireNonNull(tx, "tx");
    requireNonNull(job, "job");
    OffsetDateTime now = utc(clock.instant());
    return tx.insertInto(JOBS)
            .set(JOBS.ID, ids.get())
            .set(JOBS.KIND, job.kind())
            .set(JOBS.OWNER_ID, job.ownerId())
            .set(JOBS.PAYLOAD, Jsonb.ofObjectText(job.payload()))
            .set(JOBS.DEDUPE_KEY, job.dedupeKey())
            .set(JOBS.MAX_ATTEMPTS, job.maxAttempts() == 0 ? defaultMaxAttempts : job.maxAttempts())
            .set(JOBS.RUN_AT, now.plus(job.delay()))
            .set(JOBS.CREATED_AT, now)
            .set(JOBS.UPDATED_AT, now)
            // the job's span links back to the call (or job) that enqueued it
            .set(JOBS.TRACEPARENT, JobTrace.current())
            // the only unique index besides the random id is the pending dedupe key
            .onConflictDoNothing()
            .execute()
        == 1;
  }

  /** Claims up to {@code limit} due jobs of {@code kinds} for {@code worker}, leased for {@code lease}. */
  List<ClaimedJob> claim(Collection<String> kinds, String worker, int limit, Duration lease) {
    return database.transaction(Principal.anonymous(), sql -> {
      var claimed = Routines.claimJobs(kinds.toArray(String[]::new), worker, limit, utc(clock.instant().plus(lease)));
      return sql.selectFrom(claimed).fetch(r -> new ClaimedJob(
          r.getId(), r.getKind(), r.getOwnerId(), Jsonb.text(r.getPayload()), r.getAttempts(), r.getMaxAttempts(),
          r.getTraceparent()));
    });
  }

  /** Records the attempt as done; false when {@code worker} no longer held its lease. */
  boolean finish(ClaimedJob job, String worker) {
    return database.transaction(Principal.anonymous(), sql ->
        Boolean.TRUE.equals(Routines.finishJob(sql.configuration(), job.id(), worker, job.attempt())));
  }

  /** What became of a failed attempt. */
  enum AfterFailure {
    RETRY,
    DEAD,
    /** a twin with the same dedupe key was enqueued meanwhile: it is the retry */
    SUPERSEDED,
    /** the worker no longer held the lease: another worker has the job */
    LEASE_LOST
  }

  /** Records a failed attempt: retried at {@code retryAt}, or dead after the last attempt. */
  AfterFailure fail(ClaimedJob job, String worker, String error, Instant retryAt) {
    String state = database.transaction(Principal.anonymous(), sql ->
        Routines.failJob(sql.configuration(), job.id(), worker, job.attempt(), error, utc(retryAt)));
    return state == null ? AfterFailure.LEASE_LOST
        : switch (state) {
          case "PENDING" -> AfterFailure.RETRY;
          case "DEAD" -> AfterFailure.DEAD;
          default -> AfterFailure.SUPERSEDED;
        };
  }

  /** Extends the live leases {@code worker} holds to {@code lease} from now; returns how many. */
  int renew(String worker, Duration lease) {
    return database.transaction(Principal.anonymous(), sql ->
        Routines.renewJobLeases(sql.configuration(), worker, utc(clock.instant().plus(lease))));
  }

  /** Jobs per kind and state (DONE not counted), with the oldest due PENDING job's run_at. */
  record KindStats(String kind, String state, long jobs, @Nullable Instant oldestDue) {}

  List<KindStats> stats() {
    return database.transaction(Principal.anonymous(), sql -> {
      var stats = Routines.jobQueueStats();
      return sql.selectFrom(stats).fetch(r -> new KindStats(
          r.getKind(), r.getState(), r.getJobs(), r.getOldestDue() == null ? null : r.getOldestDue().toInstant()));
    });
  }

  /** Deletes up to {@code limit} DONE jobs finished before {@code before}; returns how many. */
  int deleteDone(Instant before, int limit) {
    return database.transaction(Principal.anonymous(), sql ->
        Routines.deleteDoneJobs(sql.configuration(), utc(before), limit));
  }

  Clock clock() {
    return clock;
  }

  /** As {@link dev.cairn.server.core.Now}: UTC, cut to the microseconds PostgreSQL keeps. */
  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }
}
