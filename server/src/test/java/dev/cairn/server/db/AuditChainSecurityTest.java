package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Row-level security on the audit chain: as the application role, a transaction for one user
 * can neither append to another owner's chain nor move another owner's head.
 */
class AuditChainSecurityTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  private UUID ownerWithAChain() {
    UUID owner = UUID.fromString(cairn.newUser("chain-owner").id());
    var vault = cairn.server().vault();
    vault.database().transaction(Principal.system(owner), sql -> {
      vault.audit().append(sql, owner, AuditLog.Entry.of("users/" + owner, AuditAction.ITEM_CREATE, "items/x", ""));
      return null;
    });
    cairn.chainAudit();
    return owner;
  }


  @Test
  void applicationRoleCannotAppendToAnotherOwnersChain() throws Exception {
    UUID victim = ownerWithAChain();
    UUID intruder = UUID.fromString(cairn.newUser("chain-intruder").id());
    try (Connection c = TestDatabase.appRoleAs(intruder);
        var insert = c.prepareStatement(
            "INSERT INTO cairn.audit_events (owner_id, seq, event_time, actor, action, prev_hash, hash)"
                + " VALUES (?, 99, now(), 'system', 'ITEM_PURGE', '\\x00'::bytea, '\\x00'::bytea)")) {
      insert.setObject(1, victim);
      assertThatThrownBy(insert::execute).isInstanceOf(SQLException.class).hasMessageContaining("row-level security");
    }
  }

  @Test
  void applicationRoleCannotMoveAnotherOwnersHead() throws Exception {
    UUID victim = ownerWithAChain();
    UUID intruder = UUID.fromString(cairn.newUser("chain-intruder").id());
    try (Connection c = TestDatabase.appRoleAs(intruder);
        var update = c.prepareStatement("UPDATE cairn.audit_heads SET seq = seq + 100 WHERE owner_id = ?")) {
      update.setObject(1, victim);
      assertThat(update.executeUpdate()).isZero();
    }
    try (Connection c = TestDatabase.appRoleAs(intruder);
        var insert = c.prepareStatement("INSERT INTO cairn.audit_heads (owner_id, seq, hash) VALUES (?, 0, '\\x00'::bytea)")) {
      insert.setObject(1, UUID.fromString(cairn.newUser("chain-fresh").id()));
      assertThatThrownBy(insert::execute).isInstanceOf(SQLException.class).hasMessageContaining("row-level security");
    }
  }

  @Test
  void theOwnersOwnTransactionStillAppends() throws Exception {
    UUID owner = ownerWithAChain();
    var vault = cairn.server().vault();
    vault.database().transaction(Principal.system(owner), sql -> {
      vault.audit().append(sql, owner, AuditLog.Entry.of("users/" + owner, AuditAction.ITEM_READ, "items/x", ""));
      return null;
    });
    cairn.chainAudit();
    try (Connection c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var head = c.prepareStatement("SELECT seq FROM cairn.audit_heads WHERE owner_id = ?")) {
      head.setObject(1, owner);
      try (var rs = head.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isEqualTo(2);
      }
    }
  }
}
