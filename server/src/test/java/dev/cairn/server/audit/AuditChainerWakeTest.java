package dev.cairn.server.audit;

import static dev.cairn.server.audit.AuditFixtures.HMAC_KEY;
import static dev.cairn.server.audit.AuditFixtures.id;
import static dev.cairn.server.audit.AuditFixtures.queue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The chainer links an event its own replica queued at once (the append wakes it), and one
 * nobody woke it for (queued on another replica, or a wake-up lost) on its next safety poll.
 */
class AuditChainerWakeTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  private static long chained(UUID owner) {
    return TestDatabase.get().app().transaction(Principal.system(owner),
        sql -> sql.fetchCount(dev.cairn.server.db.jooq.Tables.AUDIT_EVENTS,
            dev.cairn.server.db.jooq.Tables.AUDIT_EVENTS.OWNER_ID.eq(owner)));
  }

  /** Milliseconds until {@code owner} has {@code events} chained events; fails after 10 s. */
  private static long millisUntilChained(UUID owner, long events) throws InterruptedException {
    long start = System.nanoTime();
    while (chained(owner) < events) {
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("chained within 10 s").isLessThan(Duration.ofSeconds(10));
      Thread.sleep(10); // a poll with a deadline: nothing here signals the chain's commit
    }
    return Duration.ofNanos(System.nanoTime() - start).toMillis();
  }

  private static AuditLog.Entry entry() {
    return AuditLog.Entry.of("users/test", AuditAction.ITEM_READ, "items/x", "wake-test");
  }

  @Test
  void anEventThisReplicaQueuesIsChainedLongBeforeTheNextPoll() throws Exception {
    UUID owner = id(cairn.newUser("wake-local"));
    var log = new AuditLog(HMAC_KEY, Clock.systemUTC());
    try (var chainer = new AuditChainer(TestDatabase.get().app()).start(log, Duration.ofMinutes(1))) {
      // five in a row, each within 300 ms: the server's own chainer (polling every second) would
      // manage that by luck about once in 400 runs, a minute-long poll never
      for (int i = 1; i <= 5; i++) {
        TestDatabase.get().app().transaction(Principal.system(owner), sql -> {
          log.append(sql, owner, entry());
          return null;
        });
        assertThat(millisUntilChained(owner, i)).isLessThan(300);
      }
    }
  }

  @Test
  void anEventNobodyWokeTheChainerForIsChainedByItsSafetyPoll() throws Exception {
    UUID owner = id(cairn.newUser("wake-lost"));
    var log = new AuditLog(HMAC_KEY, Clock.systemUTC());
    try (var chainer = new AuditChainer(TestDatabase.get().app()).start(log, Duration.ofMillis(200))) {
      queue(owner, entry()); // through another AuditLog: no wake-up reaches this chainer
      millisUntilChained(owner, 1);
      assertThat(chained(owner)).isEqualTo(1);
    }
  }
}
