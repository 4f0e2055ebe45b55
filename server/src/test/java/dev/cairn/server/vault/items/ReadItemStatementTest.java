package dev.cairn.server.vault.items;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.VaultServiceGrpc;
import java.sql.DriverManager;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * GetItem's one statement (cairn.read_item, V25) takes no identity: it answers for whoever the
 * transaction's cairn.user_id says, under row-level security. Called as anyone but the owner
 * (or a grantee) it reveals nothing and writes nothing.
 */
class ReadItemStatementTest {
  private static final String READ =
      "select r_outcome, r_owner_id, r_segments, r_wrapped_keyset from cairn.read_item(?, 0, true, 1000000, 'ITEM_READ', ?, 'test')";

  private final CairnTestServer cairn = CairnTestServer.get();
  private final Database app = cairn.server().database();

  private record Row(String outcome, UUID owner, boolean hasSegments, boolean hasKey) {}

  private Row readAs(Principal who, UUID item) {
    return app.statement(who, READ, p -> {
      p.set(1, item);
      p.set(2, OffsetDateTime.now());
    }, rows -> {
      assertThat(rows.next()).isTrue();
      return new Row(rows.getString(1), rows.getObject(2, UUID.class), rows.getArray(3) != null, rows.getBytes(4) != null);
    });
  }

  private static long queuedReadsOf(UUID item) throws Exception {
    // as the superuser: the queue and the chain, whoever's they are
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var q = c.prepareStatement(
            "select (select count(*) from cairn.audit_pending where target = ?)"
                + " + (select count(*) from cairn.audit_events where target = ?)")) {
      q.setString(1, "items/" + item);
      q.setString(2, "items/" + item);
      try (var rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static Principal as(TestUser user) {
    return Principal.user(UUID.fromString(user.id()), UUID.randomUUID(), Set.of(Principal.Scope.READ));
  }

  @Test
  void aStrangerOrNoOneCallingTheFunctionGetsNothingAndWritesNothing() throws Exception {
    TestUser alice = cairn.newUser("readfn-alice");
    TestUser bob = cairn.newUser("readfn-bob");
    Item doc = VaultServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(alice.token()))
        .createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT)
            .setMediaType("text/plain").setContent(ByteString.copyFromUtf8("alice only"))).build())
        .getItem();
    UUID id = UUID.fromString(doc.getName().substring("items/".length()));
    long before = queuedReadsOf(id);

    assertThat(readAs(as(bob), id)).isEqualTo(new Row("MISSING", null, false, false));
    assertThat(readAs(Principal.anonymous(), id)).isEqualTo(new Row("MISSING", null, false, false));
    assertThat(queuedReadsOf(id)).as("refused calls queue no read").isEqualTo(before);

    // the same statement as the owner finds it, with its content and key, and queues the read
    assertThat(readAs(as(alice), id)).isEqualTo(new Row("OK", UUID.fromString(alice.id()), true, true));
    assertThat(queuedReadsOf(id)).isEqualTo(before + 1);
  }
}
