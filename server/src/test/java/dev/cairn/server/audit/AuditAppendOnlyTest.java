package dev.cairn.server.audit;

import static dev.cairn.server.audit.AuditFixtures.append;
import static dev.cairn.server.audit.AuditFixtures.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The application role can add to the audit log and read it, never change or remove it. */
class AuditAppendOnlyTest {

  @Test
  void theApplicationRoleCannotUpdateOrDeleteAuditEvents() throws SQLException {
    var owner = CairnTestServer.get().newUser("audit-append-only");
    append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_CREATE, "items/" + UUID.randomUUID(), "r"));

    for (String statement : new String[] {
        "UPDATE cairn.audit_events SET actor = 'system' WHERE owner_id = ?",
        "DELETE FROM cairn.audit_events WHERE owner_id = ?",
        "TRUNCATE cairn.audit_events"}) {
      try (Connection connection = TestDatabase.get().app().dataSource().getConnection()) {
        // as the server would run it: with the owner set for RLS, so only privileges can refuse
        try (var set = connection.prepareStatement("SELECT set_config('cairn.user_id', ?, true)")) {
          set.setString(1, owner.id());
          set.execute();
        }
        try (var change = connection.prepareStatement(statement)) {
          if (statement.contains("?")) {
            change.setObject(1, id(owner));
          }
          SQLException refused = catchThrowableOfType(SQLException.class, change::executeUpdate);
          assertThat((Object) refused).as(statement).isNotNull();
          assertThat(refused.getSQLState()).as(statement).isEqualTo("42501"); // insufficient_privilege
        } finally {
          connection.rollback();
        }
      }
    }
    assertThat(AuditFixtures.audit(owner).listAuditEvents(
        dev.cairn.vault.v1.ListAuditEventsRequest.newBuilder().setParent("users/me").build()).getAuditEventsCount())
        .isEqualTo(1);
  }
}
