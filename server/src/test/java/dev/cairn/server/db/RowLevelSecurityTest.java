package dev.cairn.server.db;

import static dev.cairn.server.db.jooq.Tables.API_TOKENS;
import static dev.cairn.server.db.jooq.Tables.USERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import java.sql.DriverManager;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Row-level security is the second wall: under the application role, a query that forgets
 * its ownership predicate still sees only the current user's rows.
 */
class RowLevelSecurityTest {
  private final CairnTestServer cairn = CairnTestServer.get();
  private final Database app = cairn.server().database();

  @Test
  void queryWithoutOwnerPredicateSeesOnlyTheCallersRows() {
    var alice = cairn.newUser("rls-alice");
    var bob = cairn.newUser("rls-bob");
    UUID aliceId = UUID.fromString(alice.id());
    UUID bobId = UUID.fromString(bob.id());

    var asAlice = Principal.user(aliceId, UUID.randomUUID(), Set.of(Principal.Scope.READ));
    var users = app.transaction(asAlice, sql -> sql.select(USERS.ID).from(USERS).fetch(USERS.ID));
    var tokenOwners = app.transaction(asAlice, sql -> sql.selectDistinct(API_TOKENS.OWNER_ID).from(API_TOKENS).fetch(API_TOKENS.OWNER_ID));

    assertThat(users).containsExactly(aliceId);
    assertThat(tokenOwners).containsExactly(aliceId).doesNotContain(bobId);
  }

  @Test
  void withNoUserSetNothingIsVisible() {
    cairn.newUser("rls-someone");
    var rows = app.transaction(Principal.anonymous(), sql -> sql.fetchCount(USERS));
    assertThat(rows).isZero();
  }

  @Test
  void applicationRoleCannotWriteAnotherUsersRows() {
    var alice = cairn.newUser("rls-alice");
    var bob = cairn.newUser("rls-bob");
    var asAlice = Principal.user(UUID.fromString(alice.id()), UUID.randomUUID(), Set.of(Principal.Scope.WRITE));
    int updated = app.transaction(asAlice, sql -> sql.update(USERS)
        .set(USERS.DISPLAY_NAME, "pwned")
        .where(USERS.ID.eq(UUID.fromString(bob.id())))
        .execute());
    assertThat(updated).isZero();
  }

  @Test
  void applicationRoleHasNoBypassRls() throws Exception {
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var q = c.prepareStatement("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = 'cairn_app'");
        var rs = q.executeQuery()) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).as("BYPASSRLS").isFalse();
      assertThat(rs.getBoolean(2)).as("SUPERUSER").isFalse();
    }
  }

  @Test
  void applicationRoleCannotDisableRowLevelSecurity() {
    var alice = cairn.newUser("rls-alice");
    var asAlice = Principal.user(UUID.fromString(alice.id()), UUID.randomUUID(), Set.of(Principal.Scope.WRITE));
    assertThatThrownBy(() -> app.transaction(asAlice, sql -> sql.execute("SET LOCAL row_security = off; SELECT count(*) FROM cairn.users")))
        .isNotNull();
    assertThatThrownBy(() -> app.transaction(asAlice, sql -> sql.execute("ALTER TABLE cairn.users DISABLE ROW LEVEL SECURITY")))
        .isNotNull();
  }

  /**
   * Database.statement sends the caller's set_config and the statement in one pipeline with no
   * BEGIN: the identity must hold for that statement and end with it (the Sync's implicit
   * transaction), never leaking to the next borrower of the connection.
   */
  @Test
  void aOneRoundTripStatementSeesOnlyTheCallersRowsAndLeavesNoIdentityBehind() {
    var alice = cairn.newUser("rls-alice");
    cairn.newUser("rls-bob");
    UUID aliceId = UUID.fromString(alice.id());
    var asAlice = Principal.user(aliceId, UUID.randomUUID(), Set.of(Principal.Scope.READ));
    for (int i = 0; i < 20; i++) {
      var seen = app.statement(asAlice, "select id from cairn.users", p -> {}, rows -> {
        var ids = new java.util.ArrayList<UUID>();
        while (rows.next()) {
          ids.add(rows.getObject(1, UUID.class));
        }
        return ids;
      });
      assertThat(seen).containsExactly(aliceId);
      long afterwards = app.statement(Principal.anonymous(),
          "select count(*) from cairn.users where current_setting('cairn.user_id', true) is distinct from ?",
          p -> p.set(1, aliceId.toString()), rows -> rows.next() ? rows.getLong(1) : -1);
      assertThat(afterwards).as("an anonymous statement right after Alice's sees no user").isZero();
    }
  }
  /**
   * Every policy works out the caller as an InitPlan, once per statement: a bare
   * cairn.current_user_id() (or cairn.is_admin()) is evaluated for every row a policy filters,
   * which was a third of search's ranking statement (V32). A policy added in the bare form fails here.
   */
  @Test
  void everyPolicyReadsTheCallerOncePerStatementNotOncePerRow() throws Exception {
    var perRow = new java.util.ArrayList<String>();
    int once = 0;
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var s = c.createStatement()) {
      s.execute("SET search_path = pg_catalog"); // names printed qualified, as the migration matched them
      try (var rs = s.executeQuery("SELECT tablename || '.' || policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '')"
          + " FROM pg_policies WHERE schemaname = 'cairn'")) {
        while (rs.next()) {
          String text = rs.getString(2);
          String rest = text.replace("( SELECT cairn.current_user_id() AS current_user_id)", "")
              .replace("( SELECT cairn.is_admin() AS is_admin)", "");
          if (!rest.equals(text)) {
            once++;
          }
          if (rest.contains("current_user_id()") || rest.contains("is_admin()")) {
            perRow.add(rs.getString(1) + ": " + text);
          }
        }
      }
    }
    assertThat(perRow).as("policies that call the caller's functions per row").isEmpty();
    assertThat(once).as("policies that read the caller once").isGreaterThan(30);
  }
}
