package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Calls batched into one pipeline keep what each would have alone: its own identity under
 * row-level security, its own result, its own error, and its writes exactly once.
 */
class StatementBatcherTest {
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final Database db = new Database(
      TestDatabase.get().url(), TestDatabase.APP_ROLE, TestDatabase.APP_PASSWORD, 4, meters, Clock.systemUTC());
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void close() {
    threads.shutdownNow();
    db.close();
  }

  private static Principal user(UUID id) {
    return Principal.user(id, UUID.randomUUID(), Set.of(Principal.Scope.READ, Principal.Scope.WRITE));
  }

  private double largestRound(String name) {
    return meters.get("cairn.db.batch.calls").tag("statement", name).summary().max();
  }

  private record Seen(String user, String token) {}

  @Test
  void eachCallInARoundRunsAsItsOwnCallerAndGetsItsOwnRows() throws Exception {
    // one round at a time, each a few milliseconds: the calls that arrive meanwhile share the next
    StatementBatcher<Seen> batcher = db.batcher(
        "identity", "select cairn.current_user_id()::text, ?::text, pg_sleep(0.002)", 1, 16, 1);
    List<UUID> users = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      users.add(UUID.randomUUID());
    }
    List<Future<List<String>>> runs = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      int thread = t;
      runs.add(threads.submit(() -> {
        var wrong = new ArrayList<String>();
        for (int i = 0; i < 40; i++) {
          UUID who = users.get((thread + i) % users.size());
          String token = thread + "/" + i;
          Seen seen = batcher.run(user(who), p -> p.set(1, token), rows -> {
            rows.next();
            return new Seen(rows.getString(1), rows.getString(2));
          });
          if (!seen.equals(new Seen(who.toString(), token))) {
            wrong.add(token + " as " + who + " saw " + seen);
          }
        }
        return wrong;
      }));
    }
    for (var run : runs) {
      assertThat(run.get(60, TimeUnit.SECONDS)).isEmpty();
    }
    assertThat(largestRound("identity")).as("some calls shared a round that committed").isGreaterThan(1);
    assertThat(meters.get("cairn.db.batch.retried").tag("statement", "identity").counter().count()).isZero();
  }

  @Test
  void aCallThatFailsInARoundFailsAloneAndTheOthersWriteOnce() throws Exception {
    UUID owner = UUID.fromString(CairnTestServer.get().newUser("batch").id());
    // writes to the owner's audit queue, then divides by the call's own divisor
    StatementBatcher<Integer> batcher = queueWriter("writes", "10 / ?::int, pg_sleep(?::float8)", 3);
    String run = UUID.randomUUID().toString();
    ResultReaderOfInt reader = new ResultReaderOfInt();
    List<Future<Integer>> calls = firstThenQueued(batcher, owner, reader, List.of("zero", "one", "two"),
        (name, sleep) -> p -> {
          p.set(1, run + "/" + name);
          p.set(2, name.equals("zero") ? 0 : 1);
          p.set(3, sleep);
        });
    Future<Integer> first = calls.get(0);
    List<Future<Integer>> queued = calls.subList(1, calls.size());
    assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(10);
    Throwable zero = catchThrowable(() -> queued.get(0).get(30, TimeUnit.SECONDS));
    assertThat(sqlState(zero)).isEqualTo("22012"); // division_by_zero
    assertThat(queued.get(1).get(30, TimeUnit.SECONDS)).isEqualTo(10);
    assertThat(queued.get(2).get(30, TimeUnit.SECONDS)).isEqualTo(10);
    assertThat(meters.get("cairn.db.batch.retried").tag("statement", "writes").counter().count())
        .as("the three queued calls ran as one round first, then alone").isEqualTo(3);

    assertThat(queuedEvents(run + "/first")).isEqualTo(1);
    assertThat(queuedEvents(run + "/zero")).isZero();
    assertThat(queuedEvents(run + "/one")).isEqualTo(1);
    assertThat(queuedEvents(run + "/two")).isEqualTo(1);
  }

  @Test
  void aReaderThatFailsAfterItsRoundCommittedFailsItsCallAloneAndNothingRunsTwice() throws Exception {
    UUID owner = UUID.fromString(CairnTestServer.get().newUser("batch-reader").id());
    StatementBatcher<String> batcher = queueWriter("reads-after-commit", "target, pg_sleep(?::float8)", 2);
    String run = UUID.randomUUID().toString();
    // the statement succeeds for every call; the reader refuses the row of the call named "bad"
    Database.ResultReader<String> reader = rows -> {
      rows.next();
      String target = rows.getString(1);
      if (target.endsWith("/bad")) {
        throw new IllegalStateException("unreadable row " + target);
      }
      return target;
    };
    List<Future<String>> calls = firstThenQueued(batcher, owner, reader, List.of("bad", "one", "two"),
        (name, sleep) -> p -> {
          p.set(1, run + "/" + name);
          p.set(2, sleep);
        });
    Future<String> first = calls.get(0);
    List<Future<String>> queued = calls.subList(1, calls.size());
    assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(run + "/first");
    Throwable bad = catchThrowable(() -> queued.get(0).get(30, TimeUnit.SECONDS));
    assertThat(bad).hasRootCauseInstanceOf(IllegalStateException.class).hasMessageContaining("unreadable row");
    assertThat(queued.get(1).get(30, TimeUnit.SECONDS)).isEqualTo(run + "/one");
    assertThat(queued.get(2).get(30, TimeUnit.SECONDS)).isEqualTo(run + "/two");
    assertThat(largestRound("reads-after-commit")).as("the three queued calls shared a round").isEqualTo(3);
    assertThat(meters.get("cairn.db.batch.retried").tag("statement", "reads-after-commit").counter().count())
        .as("a committed round is not run again").isZero();
    // the round committed: every call's write is there once, the refused reader's too
    for (String name : List.of("first", "bad", "one", "two")) {
      assertThat(queuedEvents(run + "/" + name)).as(name).isEqualTo(1);
    }
  }

  @Test
  void aBinderCannotSetTheNextCallsParameters() {
    StatementBatcher<String> batcher = db.batcher("bounds", "select ?::text", 1, 16, 1);
    Throwable failure = catchThrowable(() -> batcher.run(user(UUID.randomUUID()), p -> p.set(2, "x"), rows -> ""));
    assertThat(failure).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: 1..1");
  }

  /**
   * One call at a time at the database, up to 16 in a round: each call queues an audit event for
   * its caller with the target of parameter 1, then returns {@code returning} (which uses
   * parameters 2..{@code parameters}).
   */
  private <T> StatementBatcher<T> queueWriter(String name, String returning, int parameters) {
    return db.batcher(name, "insert into cairn.audit_pending (owner_id, event_time, actor, action, target)"
        + " values (cairn.current_user_id(), now(), 'users/test', 'ITEM_READ', ?) returning " + returning, parameters, 16, 1);
  }

  /**
   * A call named "first" holds the batcher's one slot for half a second (its binder gets a sleep
   * of 0.5 s); the {@code queued} calls (no sleep) arrive meanwhile, in order, and share the next
   * round. Returns their futures, first's at index 0.
   */
  private <T> List<Future<T>> firstThenQueued(StatementBatcher<T> batcher, UUID owner, Database.ResultReader<T> reader,
      List<String> queued, BiFunction<String, Double, Database.Binder> binder) throws InterruptedException {
    List<Future<T>> calls = new ArrayList<>();
    calls.add(threads.submit(() -> batcher.run(user(owner), binder.apply("first", 0.5d), reader)));
    Thread.sleep(150);
    for (String name : queued) {
      calls.add(threads.submit(() -> batcher.run(user(owner), binder.apply(name, 0d), reader)));
      Thread.sleep(20);
    }
    return calls;
  }

  private static final class ResultReaderOfInt implements Database.ResultReader<Integer> {
    @Override
    public Integer read(java.sql.ResultSet rows) throws SQLException {
      rows.next();
      return rows.getInt(1);
    }
  }

  private static String sqlState(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException e && e.getSQLState() != null) {
        return e.getSQLState();
      }
    }
    return "";
  }

  private static long queuedEvents(String target) throws Exception {
    // as the superuser: the queue and the chain, whoever's they are
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var q = c.prepareStatement("select (select count(*) from cairn.audit_pending where target = ?)"
            + " + (select count(*) from cairn.audit_events where target = ?)")) {
      q.setString(1, target);
      q.setString(2, target);
      try (var rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
