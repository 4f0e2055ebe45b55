package dev.cairn.server.vault.items;

import static dev.cairn.server.vault.items.ItemFixtures.count;
import static dev.cairn.server.vault.items.ItemFixtures.createText;
import static dev.cairn.server.vault.items.ItemFixtures.superuser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.RegistryConfiguration;
import dev.cairn.identity.v1.DeleteUserRequest;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.crypto.ContentCipher;
import dev.cairn.server.crypto.KeyEncryptionKeys;
import dev.cairn.vault.v1.Item;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * After an account is deleted its rows stay (in the database, as in backups) but nothing can
 * decrypt them: the data key is gone and no other key opens them.
 */
class CryptoShreddingTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  @Test
  void deletedAccountLeavesRowsThatNoKeyDecrypts() throws Exception {
    // a server whose KEK the test knows, so it can unwrap a fresh user's key itself
    String kek = KeyEncryptionKeys.generate();
    try (CairnServer server = CairnServer.start(
        CairnTestServer.config(Map.of("CAIRN_KEK", kek)), CairnTestServer.CLOCK, new PrintStream(PrintStream.nullOutputStream()))) {
      var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
      try {
        var victim = cairn.newUser("shred");
        UUID victimId = UUID.fromString(victim.id());
        Item item = createText(ItemFixtures.vault(channel, victim.token()), "private words");
        UUID itemId = UUID.fromString(item.getName().substring("items/".length()));

        cairn.admin().deleteUser(DeleteUserRequest.newBuilder().setName(victim.user().getName()).build());

        assertThat(count("SELECT count(*) FROM cairn.data_keys WHERE owner_id = ?", victimId)).isZero();
        assertThat(count("SELECT count(*) FROM cairn.item_segments WHERE item_id = ?", itemId)).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM cairn.item_versions WHERE item_id = ?", itemId)).isEqualTo(1);

        // a new user gets a new key: it opens neither the old segment as it is nor as if it were theirs
        var other = cairn.newUser("heir");
        UUID otherId = UUID.fromString(other.id());
        createText(ItemFixtures.vault(channel, other.token()), "mine");
        Aead otherKey = dataKey(new KeyEncryptionKeys(kek, List.of()), otherId);
        try (var c = superuser(); var st = c.prepareStatement(
            "SELECT blob_id, seq, ciphertext FROM cairn.item_segments WHERE item_id = ?")) {
          st.setObject(1, itemId);
          try (var rs = st.executeQuery()) {
            rs.next();
            UUID blob = rs.getObject(1, UUID.class);
            int seq = rs.getInt(2);
            byte[] ciphertext = rs.getBytes(3);
            assertThat(new String(ciphertext, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("private words");
            assertThatThrownBy(() -> ContentCipher.decryptSegment(otherKey, victimId, itemId, blob, seq, ciphertext))
                .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> ContentCipher.decryptSegment(otherKey, otherId, itemId, blob, seq, ciphertext))
                .isInstanceOf(IllegalStateException.class);
          }
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static Aead dataKey(KeyEncryptionKeys keks, UUID owner) throws Exception {
    try (var c = superuser(); var st = c.prepareStatement("SELECT kek_id, wrapped_keyset FROM cairn.data_keys WHERE owner_id = ?")) {
      st.setObject(1, owner);
      try (var rs = st.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return keks.unwrap(rs.getLong(1), rs.getBytes(2), owner).getPrimitive(RegistryConfiguration.get(), Aead.class);
      }
    }
  }
}
