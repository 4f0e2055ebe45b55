package dev.cairn.server.audit;

import static dev.cairn.server.db.jooq.Tables.ITEMS;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.vault.v1.AuditServiceGrpc;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

/** Test helpers for the audit chain: write events and items directly, reach the chain as superuser. */
final class AuditFixtures {
  static final byte[] HMAC_KEY = "audit-test-hmac-key-0123456789ab".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private AuditFixtures() {}

  static UUID id(CairnTestServer.TestUser user) {
    return UUID.fromString(user.id());
  }

  static Principal as(CairnTestServer.TestUser user) {
    return Principal.system(id(user));
  }

  static AuditServiceGrpc.AuditServiceBlockingStub audit(CairnTestServer.TestUser user) {
    return AuditServiceGrpc.newBlockingStub(CairnTestServer.get().channel())
        .withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  /**
   * Appends {@code entry} (whatever actor it names) to {@code owner}'s chain, in a transaction
   * of the owner's: RLS lets a transaction append only to chains it has a part in.
   */
  static long append(UUID owner, AuditLog.Entry entry) {
    return append(owner, entry, Clock.systemUTC());
  }

  static long append(UUID owner, AuditLog.Entry entry, Instant at) {
    return append(owner, entry, Clock.fixed(at, ZoneOffset.UTC));
  }

  /** Records {@code entry} as an action would, links it into the chain, and returns its seq. */
  private static long append(UUID owner, AuditLog.Entry entry, Clock clock) {
    queue(owner, entry, clock);
    new AuditChainer(TestDatabase.get().app()).chain(owner, Long.MAX_VALUE, Duration.ofSeconds(10));
    return TestDatabase.get().app().transaction(Principal.system(owner),
        sql -> new AuditRepository().head(sql, owner).orElseThrow().seq());
  }

  /** Records {@code entry} as an action would, and leaves it queued (not yet in the chain). */
  static void queue(UUID owner, AuditLog.Entry entry) {
    queue(owner, entry, Clock.systemUTC());
  }

  private static void queue(UUID owner, AuditLog.Entry entry, Clock clock) {
    var log = new AuditLog(HMAC_KEY, clock);
    TestDatabase.get().app().transaction(Principal.system(owner), sql -> {
      log.append(sql, owner, entry);
      return null;
    });
  }

  /** A bare document row owned by {@code owner} (the items service is not needed to be refused one). */
  static UUID insertItem(CairnTestServer.TestUser owner) {
    UUID item = UUID.randomUUID();
    TestDatabase.get().app().transaction(as(owner), sql -> sql.insertInto(ITEMS)
        .set(ITEMS.ID, item)
        .set(ITEMS.OWNER_ID, id(owner))
        .set(ITEMS.KIND, "DOCUMENT")
        .set(ITEMS.MEDIA_TYPE, "text/plain")
        .set(ITEMS.CURRENT_VERSION, 1)
        .execute());
    return item;
  }

  /** The database owner, who bypasses RLS and privileges: the attacker with a psql prompt. */
  static Connection superuser() throws SQLException {
    return DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
  }

  static int superuserUpdate(String sql, Object... args) {
    try (Connection c = superuser(); var statement = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      return statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
