package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.TestDatabase;
import io.grpc.Context;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A call's deadline and cancellation reach the SQL it is running. */
class DeadlineAndCancellationTest {
  private final Database db = TestDatabase.get().app();
  private final java.util.concurrent.ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  /**
   * Each test cancels 300 ms after it starts, which must fall while its statement runs: a call
   * cancelled before its transaction registers its listener is not stopped (the listener cancels
   * a running statement only). The first transaction of a JVM (class loading, the pool's first
   * connections) took longer than that, and the test that came first lost the race.
   */
  @org.junit.jupiter.api.BeforeEach
  void warmUp() {
    db.transaction(Principal.anonymous(), sql -> Database.query(sql, "select 1", 0, p -> {}, rows -> null));
    db.statement(Principal.anonymous(), "select 1", p -> {}, rows -> null);
  }

  private static String sqlState(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException e && e.getSQLState() != null) {
        return e.getSQLState();
      }
    }
    return "";
  }

  /** {@code work} runs a ten-second sleep; under a 300 ms deadline it ends within 5 s as statement_timeout. */
  private void stopsAtTheDeadline(org.assertj.core.api.ThrowableAssert.ThrowingCallable work) throws Exception {
    long start = System.nanoTime();
    Throwable failure = Context.current().withDeadlineAfter(300, TimeUnit.MILLISECONDS, scheduler)
        .call(() -> catchThrowable(work));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(sqlState(failure)).isEqualTo("57014"); // query_canceled (statement_timeout)
    assertThat(millis).isLessThan(5_000);
  }

  /** {@code work} runs a ten-second sleep; a call cancelled after 300 ms ends within 5 s, the sleep cancelled. */
  private void stopsWhenCancelled(org.assertj.core.api.ThrowableAssert.ThrowingCallable work) throws Exception {
    Context.CancellableContext call = Context.current().withCancellation();
    scheduler.schedule(() -> call.cancel(null), 300, TimeUnit.MILLISECONDS);
    long start = System.nanoTime();
    Throwable failure = call.call(() -> catchThrowable(work));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(sqlState(failure)).isEqualTo("57014");
    assertThat(millis).isLessThan(5_000);
  }

  @Test
  void aStatementStopsAtTheCallsDeadline() throws Exception {
    stopsAtTheDeadline(() -> db.transaction(Principal.anonymous(), sql -> sql.execute("SELECT pg_sleep(10)")));
  }

  @Test
  void cancellingTheCallCancelsTheRunningStatement() throws Exception {
    stopsWhenCancelled(() -> db.transaction(Principal.anonymous(), sql -> sql.execute("SELECT pg_sleep(10)")));
  }

  @Test
  void aOneRoundTripStatementStopsAtTheCallsDeadline() throws Exception {
    stopsAtTheDeadline(() -> db.statement(Principal.anonymous(), "select pg_sleep(10)", p -> {}, rows -> null));
  }

  @Test
  void cancellingTheCallCancelsARunningOneRoundTripStatement() throws Exception {
    stopsWhenCancelled(() -> db.statement(Principal.anonymous(), "select pg_sleep(10)", p -> {}, rows -> null));
  }

  @Test
  void aJdbcQueryInATransactionStopsAtTheCallsDeadline() throws Exception {
    stopsAtTheDeadline(() -> db.transaction(Principal.anonymous(),
        sql -> Database.query(sql, "select pg_sleep(10)", 0, p -> {}, rows -> null)));
  }

  @Test
  void cancellingTheCallCancelsARunningJdbcQueryInATransaction() throws Exception {
    stopsWhenCancelled(() -> db.transaction(Principal.anonymous(),
        sql -> Database.query(sql, "select pg_sleep(10)", 0, p -> {}, rows -> null)));
  }

  @Test
  void aJdbcQueryRunsAsTheTransactionsPrincipalAndCannotBindPastItsParameters() {
    java.util.UUID user = java.util.UUID.randomUUID();
    String seen = db.transaction(Principal.system(user), sql -> Database.query(sql,
        "select current_setting('cairn.user_id', true) || ?::text", 1, p -> p.set(1, "!"),
        rows -> rows.next() ? rows.getString(1) : null));
    assertThat(seen).isEqualTo(user + "!");

    Throwable past = catchThrowable(() -> db.transaction(Principal.system(user),
        sql -> Database.query(sql, "select ?::text", 1, p -> p.set(2, "x"), rows -> null)));
    assertThat(past).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("statement parameter 2");
  }

  @Test
  void whateverRunsFirstInATransactionRunsAsItsPrincipal() throws Exception {
    java.util.UUID user = java.util.UUID.randomUUID();
    String whoAmI = "select current_setting('cairn.user_id', true)";
    Database.ResultReader<String> one = rows -> rows.next() ? rows.getString(1) : null;
    // a JDBC query first (it carries the transaction's locals), then jOOQ, then JDBC again
    java.util.List<String> queryFirst = db.transaction(Principal.system(user), sql -> java.util.List.of(
        Database.query(sql, whoAmI, 0, p -> {}, one), sql.fetchSingle(whoAmI).get(0, String.class),
        Database.query(sql, whoAmI, 0, p -> {}, one)));
    assertThat(queryFirst).containsExactly(user.toString(), user.toString(), user.toString());
    // jOOQ first, then JDBC
    java.util.List<String> jooqFirst = db.transaction(Principal.system(user), sql -> java.util.List.of(
        sql.fetchSingle(whoAmI).get(0, String.class), Database.query(sql, whoAmI, 0, p -> {}, one)));
    assertThat(jooqFirst).containsExactly(user.toString(), user.toString());
    // the connection itself first
    String connectionFirst = db.transaction(Principal.system(user), sql -> sql.connectionResult(c -> {
      try (var statement = c.createStatement(); var rows = statement.executeQuery(whoAmI)) {
        return one.read(rows);
      }
    }));
    assertThat(connectionFirst).isEqualTo(user.toString());
    // and the locals are the transaction's alone: the next one on the pool runs as its own caller
    String anonymous = db.transaction(Principal.anonymous(), sql -> Database.query(sql, whoAmI, 0, p -> {}, one));
    assertThat(anonymous).isEmpty();
  }

  @Test
  void aTransactionWhoseFirstStatementIsAJdbcQuerySendsItWithTheLocalsInOneRoundTrip() throws Exception {
    java.util.UUID user = java.util.UUID.randomUUID();
    int fewest = Integer.MAX_VALUE;
    String thread = Thread.currentThread().getName();
    for (int attempt = 0; attempt < 5; attempt++) {
      try (var counting = dev.cairn.server.testing.RoundTrips.on(thread)) {
        db.transaction(Principal.system(user), sql -> Database.query(sql, "select ?::text", 1, p -> p.set(1, "x"),
            rows -> rows.next() ? rows.getString(1) : null));
        fewest = Math.min(fewest, counting.of(thread));
      }
    }
    // BEGIN, the locals and the query (1), the commit (1)
    assertThat(fewest).isEqualTo(2);
  }

  @Test
  void aConnectionACancelWasSentForIsNotReusedSoTheCancelCannotHitAnotherCall() throws Exception {
    int[] cancelledBackend = new int[1];
    stopsWhenCancelled(() -> db.transaction(Principal.anonymous(), sql -> {
      cancelledBackend[0] = Database.query(sql, "select pg_backend_pid()", 0, p -> {}, rows -> {
        rows.next();
        return rows.getInt(1);
      });
      return sql.execute("SELECT pg_sleep(10)");
    }));

    for (int i = 0; i < 40; i++) {
      int backend = db.transaction(Principal.anonymous(), sql -> Database.query(sql, "select pg_backend_pid()", 0,
          p -> {}, rows -> {
            rows.next();
            return rows.getInt(1);
          }));
      assertThat(backend).as("call %d after the cancel", i).isNotEqualTo(cancelledBackend[0]);
    }
  }
}
