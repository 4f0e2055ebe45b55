package dev.cairn.server.jobs;

import dev.cairn.server.config.CairnConfig.JobsConfig;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import dev.cairn.server.testing.MutableClock;
import dev.cairn.server.testing.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A job queue over the shared test database with its own pool and its own clock (so moving
 * time here moves nobody else's), job kinds unique to each test (so the server's worker and
 * other tests never touch these jobs), users made directly, and raw looks at the job rows.
 */
final class JobsFixture implements AutoCloseable {
  static final Duration LEASE = Duration.ofSeconds(60);

  final MutableClock clock = new MutableClock();
  final Database db =
      new Database(TestDatabase.get().url(), TestDatabase.APP_ROLE, TestDatabase.APP_PASSWORD, 16, new SimpleMeterRegistry(), clock);
  final JobQueue queue = new JobQueue(db, clock, UUID::randomUUID, 3);
  final String kind = "test-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<JobWorker> workers = new ArrayList<>();

  static JobsConfig settings(int concurrency) {
    return new JobsConfig(concurrency, Duration.ofMillis(10), LEASE, 3, Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofHours(24));
  }

  JobWorker worker(JobHandler handler, int concurrency, MeterRegistry registry) {
    var worker = new JobWorker(queue, List.of(handler), settings(concurrency), registry, new Random(42));
    workers.add(worker);
    return worker;
  }

  JobWorker worker(JobHandler handler) {
    return worker(handler, 4, new SimpleMeterRegistry());
  }

  /** A user, inserted as the database owner. */
  static UUID newUser() {
    UUID id = UUID.randomUUID();
    try (Connection c = superuser(); var st = c.prepareStatement("INSERT INTO cairn.users (id, username) VALUES (?, ?)")) {
      st.setObject(1, id);
      st.setString(2, "jobs-" + id.toString().substring(0, 13));
      st.execute();
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return id;
  }

  boolean enqueue(UUID owner, Job job) {
    return db.transaction(Principal.system(owner), sql -> queue.enqueue(sql, job));
  }

  Job job(UUID owner) {
    return Job.of(kind, owner);
  }

  /** A job row as stored. */
  record Row(UUID id, String state, int attempts, Instant runAt, @Nullable String lockedBy, @Nullable String lastError) {}

  List<Row> rows() {
    return rows(kind);
  }

  static List<Row> rows(String kind) {
    try (Connection c = superuser();
        var st = c.prepareStatement(
            "SELECT id, state, attempts, run_at, locked_by, last_error FROM cairn.jobs WHERE kind = ? ORDER BY created_at, id")) {
      st.setString(1, kind);
      var out = new ArrayList<Row>();
      try (var rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(new Row(rs.getObject(1, UUID.class), rs.getString(2), rs.getInt(3),
              rs.getTimestamp(4).toInstant(), rs.getString(5), rs.getString(6)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  Row only() {
    List<Row> rows = rows();
    if (rows.size() != 1) {
      throw new AssertionError("expected one job of " + kind + ", found " + rows);
    }
    return rows.get(0);
  }

  static Connection superuser() throws SQLException {
    return DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
  }

  /** Waits (bounded) until every job of the kind is in {@code state}. */
  void awaitAll(String state, int expected, Duration atMost) throws InterruptedException {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (System.nanoTime() < deadline) {
      List<Row> rows = rows();
      if (rows.size() == expected && rows.stream().allMatch(r -> r.state().equals(state))) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("jobs of " + kind + " not all " + state + " within " + atMost + ": " + rows());
  }

  @Override
  public void close() {
    workers.forEach(JobWorker::close);
    db.close();
  }
}
