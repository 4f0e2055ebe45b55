package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.type.v1.ErrorReason;
import io.grpc.Context;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A call authenticated from the token cache without the barrier has its token checked by the
 * locals of its first transaction or pipeline, at that statement's snapshot: a live token confirms
 * the call (its barrier never runs), a token that is no longer live fails the statement as
 * UNAUTHENTICATED before anything of the call's own runs, and in a shared round only its call fails.
 */
class TokenCheckTest {
  private final Database db = new Database(
      TestDatabase.get().url(), TestDatabase.APP_ROLE, TestDatabase.APP_PASSWORD, 4, new SimpleMeterRegistry(),
      Clock.systemUTC());
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final AtomicInteger barriers = new AtomicInteger();

  @AfterEach
  void close() {
    threads.shutdownNow();
    db.close();
  }

  private record Caller(Principal principal, TokenCheck check) {
    <T> T run(Callable<T> work) throws Exception {
      return Context.current().withValue(TokenCheck.KEY, check).call(work);
    }
  }

  /** A caller with a live token of a real user. */
  private Caller live(String prefix) throws SQLException {
    UUID user = UUID.fromString(CairnTestServer.get().newUser(prefix).id());
    UUID token;
    try (Connection c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var statement = c.prepareStatement("select id from cairn.api_tokens where owner_id = ?")) {
      statement.setObject(1, user);
      try (var rows = statement.executeQuery()) {
        rows.next();
        token = rows.getObject(1, UUID.class);
      }
    }
    return caller(user, token);
  }

  /** A caller whose token is not live (no such token row: as after its deletion). */
  private Caller refused(Caller of) {
    return caller(of.principal().requireUserId(), UUID.randomUUID());
  }

  private Caller caller(UUID user, UUID token) {
    return new Caller(Principal.user(user, token, Set.of(Principal.Scope.READ, Principal.Scope.WRITE)),
        new TokenCheck(token, barriers::incrementAndGet));
  }

  @Test
  void aTransactionsFirstStatementConfirmsALiveTokenAndTheBarrierNeverRuns() throws Exception {
    Caller alice = live("check-live");

    String me = alice.run(() -> db.<String>transaction(alice.principal(),
        sql -> sql.resultQuery("select cairn.current_user_id()::text").fetchOne(0, String.class)));

    assertThat(me).isEqualTo(alice.principal().requireUserId().toString());
    assertThat(alice.check().confirmed()).isTrue();
    assertThat(alice.check().confirmedBySql()).isTrue();
    alice.run(() -> {
      TokenCheck.ensureCurrent();
      return null;
    });
    assertThat(barriers).hasValue(0);
  }

  @Test
  void aTokenNoLongerLiveFailsTheTransactionUnauthenticatedBeforeItsOwnStatementRuns() throws Exception {
    Caller stale = refused(live("check-gone"));
    AtomicInteger ran = new AtomicInteger();

    Throwable failure = catchThrowable(() -> stale.run(() -> db.<Integer>transaction(stale.principal(), sql -> {
      ran.incrementAndGet();
      return sql.resultQuery("select 1").fetchOne(0, Integer.class);
    })));

    assertThat(failure).isInstanceOf(CairnException.class);
    assertThat(((CairnException) failure).kind()).isEqualTo(CairnException.Kind.UNAUTHENTICATED);
    assertThat(((CairnException) failure).reason()).isEqualTo(ErrorReason.ERROR_REASON_TOKEN_REVOKED);
    assertThat(ran).as("the work began, its statement never ran").hasValue(1);
    assertThat(stale.check().confirmed()).isFalse();
    // without a pending check (the barrier proved the call, or it is no user's call) nothing is checked
    Integer one = db.<Integer>transaction(stale.principal(), sql -> sql.resultQuery("select 1").fetchOne(0, Integer.class));
    assertThat(one).isEqualTo(1);
  }

  @Test
  void inASharedRoundOnlyTheCallWhoseTokenIsRefusedFailsAndTheOthersAreConfirmed() throws Exception {
    StatementBatcher<String> batcher = db.batcher("token-check", "select ?::text, pg_sleep(?::float8)", 2, 16, 1);
    Caller first = live("check-first");
    Caller one = live("check-one");
    Caller two = live("check-two");
    Caller stale = refused(live("check-stale"));
    List<Future<String>> calls = new ArrayList<>();
    // first holds the batcher's one slot for half a second; the others queue and share the next round
    calls.add(threads.submit(() -> first.run(() -> read(batcher, first, "first", 0.5))));
    Thread.sleep(100);
    for (var queued : List.of(Named.of("one", one), Named.of("stale", stale), Named.of("two", two))) {
      calls.add(threads.submit(() -> queued.caller().run(() -> read(batcher, queued.caller(), queued.name(), 0))));
      Thread.sleep(20);
    }

    assertThat(calls.get(0).get(30, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(calls.get(1).get(30, TimeUnit.SECONDS)).isEqualTo("one");
    Throwable refusedCall = catchThrowable(() -> calls.get(2).get(30, TimeUnit.SECONDS));
    assertThat(refusedCall).hasCauseInstanceOf(CairnException.class);
    assertThat(((CairnException) refusedCall.getCause()).kind()).isEqualTo(CairnException.Kind.UNAUTHENTICATED);
    assertThat(calls.get(3).get(30, TimeUnit.SECONDS)).isEqualTo("two");
    for (Caller confirmed : List.of(first, one, two)) {
      assertThat(confirmed.check().confirmedBySql()).isTrue();
    }
    assertThat(stale.check().confirmed()).isFalse();
    assertThat(barriers).hasValue(0);
  }

  @Test
  void aRefusedCallDoesNotMarkItsRevokedTokenUsed() throws Exception {
    Caller alice = live("check-touch");
    UUID token = alice.principal().tokenId();
    superuser("update cairn.api_tokens set last_used_at = now() - interval '1 hour', revoked_at = now() where id = '"
        + token + "'");
    // what authentication records for a call it answers from the cache, before the call's check runs
    db.withoutTransaction(sql -> sql.resultQuery("select cairn.touch_token(?::uuid)", token.toString()).fetch());

    try (Connection c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var statement = c.prepareStatement("select last_used_at < now() - interval '30 minutes' from cairn.api_tokens where id = ?")) {
      statement.setObject(1, token);
      try (var rows = statement.executeQuery()) {
        rows.next();
        assertThat(rows.getBoolean(1)).as("last_used_at left as it was").isTrue();
      }
    }
  }

  private static void superuser(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var statement = c.createStatement()) {
      statement.execute(sql);
    }
  }

  private record Named(String name, Caller caller) {
    static Named of(String name, Caller caller) {
      return new Named(name, caller);
    }
  }

  private static String read(StatementBatcher<String> batcher, Caller caller, String name, double sleep) {
    return batcher.run(caller.principal(), p -> {
      p.set(1, name);
      p.set(2, sleep);
    }, rows -> {
      rows.next();
      return rows.getString(1);
    });
  }
}
