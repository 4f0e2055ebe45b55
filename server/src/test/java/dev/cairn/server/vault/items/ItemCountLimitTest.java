package dev.cairn.server.vault.items;

import static dev.cairn.server.testing.CairnTestServer.errorInfo;
import static dev.cairn.server.vault.items.ItemFixtures.count;
import static dev.cairn.server.vault.items.ItemFixtures.createText;
import static dev.cairn.server.vault.items.ItemFixtures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.app.CairnServer;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.vault.v1.DeleteItemRequest;
import dev.cairn.vault.v1.Item;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The items-per-owner limit is exact under concurrent creates and kept by a counter row, not
 * by counting the owner's items: deleted items hold their place until purged.
 */
class ItemCountLimitTest {
  private static final int MAX = 5;
  private static CairnServer server;
  private static ManagedChannel channel;
  private final CairnTestServer cairn = CairnTestServer.get();

  @BeforeAll
  static void start() {
    server = CairnServer.start(
        CairnTestServer.config(Map.of("CAIRN_VAULT_MAX_ITEMS_PER_USER", Integer.toString(MAX))),
        CairnTestServer.CLOCK, new PrintStream(PrintStream.nullOutputStream()));
    channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
  }

  @Test
  void concurrentCreatesStopExactlyAtTheItemLimit() throws Exception {
    var user = cairn.newUser("crowd");
    var alice = ItemFixtures.vault(channel, user.token());
    int threads = 8;
    var start = new CountDownLatch(1);
    var created = new AtomicInteger();
    var refused = new AtomicInteger();
    List<Future<?>> done = new ArrayList<>();
    try (var pool = Executors.newFixedThreadPool(threads)) {
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 3; i++) {
            try {
              createText(alice, "t" + thread + "-" + i);
              created.incrementAndGet();
            } catch (StatusRuntimeException e) {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(errorInfo(e).orElseThrow().getMetadataMap()).containsEntry("limit", "max_items_per_user");
              refused.incrementAndGet();
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    }
    assertThat(created.get()).isEqualTo(MAX);
    assertThat(refused.get()).isEqualTo(threads * 3 - MAX);
    assertThat(count("SELECT count(*) FROM cairn.items WHERE owner_id = ?", UUID.fromString(user.id()))).isEqualTo(MAX);
  }

  @Test
  void aDeletedItemHoldsItsPlaceUntilItIsPurged() throws Exception {
    var user = cairn.newUser("full");
    UUID owner = UUID.fromString(user.id());
    var alice = ItemFixtures.vault(channel, user.token());
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      items.add(createText(alice, "item " + i));
    }
    alice.deleteItem(DeleteItemRequest.newBuilder().setName(items.get(0).getName()).build());
    var full = failure(() -> createText(alice, "still full"));
    assertThat(full.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

    var purger = new ItemPurger(ItemFixtures.contextFor(cairn));
    try {
      CairnTestServer.CLOCK.advance(Duration.ofDays(31));
      assertThat(purger.purgeOwner(owner)).isEqualTo(1);
    } finally {
      CairnTestServer.CLOCK.reset();
    }
    createText(alice, "the purged item's place");
    assertThat(failure(() -> createText(alice, "full again")).getStatus().getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }
}
