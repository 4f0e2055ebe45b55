package dev.cairn.server.vault.items;

import static dev.cairn.server.testing.CairnTestServer.errorInfo;
import static dev.cairn.server.vault.items.ItemFixtures.createText;
import static dev.cairn.server.vault.items.ItemFixtures.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Limits on a server configured small: 3 writes a minute, 1 KiB inline. */
class ItemLimitsTest {
  private static CairnServer server;
  private static ManagedChannel channel;
  private final CairnTestServer cairn = CairnTestServer.get();

  @BeforeAll
  static void start() {
    server = CairnServer.start(
        CairnTestServer.config(Map.of("CAIRN_VAULT_WRITES_PER_MINUTE", "3", "CAIRN_VAULT_INLINE_MAX_BYTES", "1024")),
        CairnTestServer.CLOCK, new PrintStream(PrintStream.nullOutputStream()));
    channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
  }

  @Test
  void writesBeyondThePerMinuteLimitAreResourceExhaustedUntilTheMinutePasses() {
    var alice = ItemFixtures.vault(channel, cairn.newUser("alice").token());
    var bob = ItemFixtures.vault(channel, cairn.newUser("bob").token());
    try {
      for (int i = 0; i < 3; i++) {
        createText(alice, "w" + i);
      }
      var e = failure(() -> createText(alice, "one too many"));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(errorInfo(e).orElseThrow().getMetadataMap()).containsEntry("limit", "writes_per_minute");
      createText(bob, "bob has his own bucket");

      CairnTestServer.CLOCK.advance(Duration.ofMinutes(1));
      createText(alice, "a new minute");
    } finally {
      CairnTestServer.CLOCK.reset();
    }
  }

  @Test
  void inlineContentBeyondTheConfiguredSizeIsResourceExhausted() {
    var alice = ItemFixtures.vault(channel, cairn.newUser("alice").token());
    var e = failure(() -> alice.createItem(CreateItemRequest.newBuilder()
        .setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setMediaType("application/octet-stream")
            .setContent(ByteString.copyFrom(new byte[2048])))
        .build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(errorInfo(e).orElseThrow().getMetadataMap()).containsEntry("limit", "inline_max_bytes");
  }
}
