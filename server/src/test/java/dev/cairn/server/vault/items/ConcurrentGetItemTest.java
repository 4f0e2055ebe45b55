package dev.cairn.server.vault.items;

import static dev.cairn.server.vault.items.ItemFixtures.createText;
import static dev.cairn.server.vault.items.ItemFixtures.vault;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemView;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * GetItems of different users at once (they share the database's round trips and commits):
 * every owner reads its own content, nobody reads anyone else's, and each owner's log holds
 * exactly its own reads.
 */
class ConcurrentGetItemTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  private record Reader(String who, VaultServiceGrpc.VaultServiceBlockingStub stub, Item item, String content) {}

  @Test
  void concurrentReadsOfSeveralUsersEachSeeTheirOwnAndNothingElse() throws Exception {
    TestUser ann = cairn.newUser("ann");
    TestUser bob = cairn.newUser("bob");
    TestUser eve = cairn.newUser("eve");
    Item anns = createText(vault(cairn.channel(), ann.token()), "ann's note");
    Item bobs = createText(vault(cairn.channel(), bob.token()), "bob's note");
    long annsLogBefore = readsOf(ann, anns);
    long bobsLogBefore = readsOf(bob, bobs);
    var readers = List.of(
        new Reader("ann", vault(cairn.channel(), ann.token()), anns, "ann's note"),
        new Reader("bob", vault(cairn.channel(), bob.token()), bobs, "bob's note"),
        new Reader("eve", vault(cairn.channel(), eve.token()), anns, null),
        new Reader("bob", vault(cairn.channel(), bob.token()), anns, null));
    // more callers than the reads the server lets run at once (as many as its cores), so some wait and share
    int threads = 4 * Math.max(4, Runtime.getRuntime().availableProcessors());
    int perThread = 25;
    List<Future<List<String>>> runs = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      for (int t = 0; t < threads; t++) {
        Reader reader = readers.get(t % readers.size());
        runs.add(pool.submit(() -> {
          var wrong = new ArrayList<String>();
          for (int i = 0; i < perThread; i++) {
            try {
              String got = reader.stub().getItem(GetItemRequest.newBuilder()
                  .setName(reader.item().getName()).setView(ItemView.ITEM_VIEW_FULL).build())
                  .getItem().getContent().toStringUtf8();
              if (!got.equals(reader.content())) {
                wrong.add(reader.who() + " read " + reader.item().getName() + ": " + got);
              }
            } catch (StatusRuntimeException e) {
              if (reader.content() != null || e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                wrong.add(reader.who() + " got " + e.getStatus());
              }
            }
          }
          return wrong;
        }));
      }
      for (var run : runs) {
        assertThat(run.get(120, TimeUnit.SECONDS)).isEmpty();
      }
    }
    // a quarter of the threads per reader: ann's and bob's own reads, each in its owner's log once
    assertThat(readsOf(ann, anns) - annsLogBefore).isEqualTo((threads / 4L) * perThread);
    assertThat(readsOf(bob, bobs) - bobsLogBefore).isEqualTo((threads / 4L) * perThread);
    assertThat(cairn.server().meters().get("cairn.db.batch.calls").tag("statement", "read_item").summary().max())
        .as("some reads shared a round trip").isGreaterThan(1);
  }

  /** The owner's own ITEM_READ events of the item, from its audit log (linked first). */
  private long readsOf(TestUser owner, Item item) throws Exception {
    cairn.chainAudit();
    try (var c = ItemFixtures.superuser();
        var q = c.prepareStatement("select count(*) from cairn.audit_events where owner_id = ?::uuid"
            + " and action = 'ITEM_READ' and target = ? and actor = ?")) {
      q.setString(1, owner.id());
      q.setString(2, item.getName());
      q.setString(3, owner.user().getName());
      try (var rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
