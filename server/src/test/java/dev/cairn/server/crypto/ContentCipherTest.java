package dev.cairn.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The associated data of stored ciphertexts may never change: existing rows must still open. */
class ContentCipherTest {

  @Test
  void segmentsWrittenUnderTheOldChunkNameStillDecrypt() throws Exception {
    AeadConfig.register();
    Aead aead = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
    UUID owner = UUID.randomUUID();
    UUID item = UUID.randomUUID();
    UUID blob = UUID.randomUUID();
    byte[] plain = "a segment stored before the rename".getBytes(StandardCharsets.UTF_8);
    // what every segment written so far was authenticated with, spelled out byte by byte
    byte[] storedAad = ByteBuffer.allocate(6 + 48 + 4)
        .put("chunk:".getBytes(StandardCharsets.US_ASCII))
        .put(KeyEncryptionKeys.ownerBytes(owner))
        .put(KeyEncryptionKeys.ownerBytes(item))
        .put(KeyEncryptionKeys.ownerBytes(blob))
        .putInt(3)
        .array();

    byte[] stored = aead.encrypt(plain, storedAad);

    assertThat(ContentCipher.decryptSegment(aead, owner, item, blob, 3, stored)).isEqualTo(plain);
    assertThat(ContentCipher.segmentAad(owner, item, blob, 3)).isEqualTo(storedAad);
  }
}
