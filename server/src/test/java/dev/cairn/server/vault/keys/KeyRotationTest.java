package dev.cairn.server.vault.keys;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.crypto.KeyEncryptionKeys;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemView;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * KEK rotation: a new KEK wraps, the old one (in CAIRN_KEK_PREVIOUS) still unwraps, and
 * rewrap-keys moves every data key to the new KEK so the old one can be dropped.
 */
class KeyRotationTest {

  private static CairnServer start(Map<String, String> keys) {
    return CairnServer.start(CairnTestServer.config(keys), Clock.systemUTC(), new PrintStream(PrintStream.nullOutputStream()));
  }

  private static String read(CairnServer server, String token, String item) {
    var channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
    try {
      return VaultServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(token))
          .getItem(GetItemRequest.newBuilder().setName(item).setView(ItemView.ITEM_VIEW_FULL).build())
          .getItem().getContent().toStringUtf8();
    } finally {
      channel.shutdownNow();
    }
  }

  private static long kekIdOf(String userId) throws Exception {
    try (var c = DriverManager.getConnection(dev.cairn.server.testing.TestDatabase.get().url(), "postgres", "");
        var q = c.prepareStatement("SELECT kek_id FROM cairn.data_keys WHERE owner_id = ?")) {
      q.setObject(1, UUID.fromString(userId));
      try (var rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void oldKekUnwrapsUntilRewrapMovesEveryKeyToTheNewOne() throws Exception {
    String oldKek = KeyEncryptionKeys.generate();
    String newKek = KeyEncryptionKeys.generate();
    var user = CairnTestServer.get().newUser("rotate");
    String item;
    try (var before = start(Map.of("CAIRN_KEK", oldKek))) {
      var channel = NettyChannelBuilder.forAddress("localhost", before.grpcPort()).usePlaintext().build();
      item = VaultServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(user.token()))
          .createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT)
              .setMediaType("text/plain").setContent(ByteString.copyFromUtf8("rotated secret"))).build())
          .getItem().getName();
      channel.shutdownNow();
    }
    long oldId = kekIdOf(user.id());

    try (var during = start(Map.of("CAIRN_KEK", newKek, "CAIRN_KEK_PREVIOUS", oldKek))) {
      assertThat(read(during, user.token(), item)).isEqualTo("rotated secret");
      var result = during.rewrapDataKeys();
      assertThat(result.rewrapped()).isGreaterThanOrEqualTo(1);
    }
    assertThat(kekIdOf(user.id())).isNotEqualTo(oldId);

    try (var after = start(Map.of("CAIRN_KEK", newKek))) {
      assertThat(read(after, user.token(), item)).isEqualTo("rotated secret");
    }
  }
}
