package dev.cairn.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pooled AES-GCM is Tink's AES-GCM byte for byte: what either wrote the other opens (every
 * ciphertext stored so far was written by Tink), and whatever Tink refuses it refuses too.
 */
class PooledAesGcmTest {
  private static final byte[] AAD = "chunk:owner-item-blob-seq".getBytes(StandardCharsets.US_ASCII);

  @BeforeAll
  static void registerTink() throws GeneralSecurityException {
    AeadConfig.register();
  }

  private static KeysetHandle dataKey() throws GeneralSecurityException {
    return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM); // as DataKeys makes them
  }

  private static Aead tink(KeysetHandle handle) throws GeneralSecurityException {
    return handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  @Test
  void ciphertextsWrittenByTinkOpenAndTinkOpensWhatItWrites() throws Exception {
    KeysetHandle key = dataKey();
    Aead tink = tink(key);
    Aead pooled = PooledAesGcm.of(key).orElseThrow();
    byte[] plain = new byte[4096];
    new java.util.Random(7).nextBytes(plain);

    assertThat(pooled.decrypt(tink.encrypt(plain, AAD), AAD)).isEqualTo(plain);
    byte[] written = pooled.encrypt(plain, AAD);
    assertThat(tink.decrypt(written, AAD)).isEqualTo(plain);
    assertThat(written).hasSize(5 + 12 + plain.length + 16); // Tink's prefix, IV, ciphertext, tag
    assertThat(Arrays.copyOf(written, 5)).isEqualTo(Arrays.copyOf(tink.encrypt(plain, AAD), 5));
    assertThat(pooled.decrypt(pooled.encrypt(new byte[0], AAD), AAD)).isEmpty();
  }

  @Test
  void twoEncryptionsOfTheSamePlaintextDiffer() throws Exception {
    Aead pooled = PooledAesGcm.of(dataKey()).orElseThrow();
    byte[] plain = "same".getBytes(StandardCharsets.UTF_8);

    assertThat(pooled.encrypt(plain, AAD)).isNotEqualTo(pooled.encrypt(plain, AAD));
  }

  @Test
  void alteredCiphertextOtherAssociatedDataAndAnotherKeyAreRefused() throws Exception {
    KeysetHandle key = dataKey();
    Aead pooled = PooledAesGcm.of(key).orElseThrow();
    byte[] stored = tink(key).encrypt("secret".getBytes(StandardCharsets.UTF_8), AAD);

    byte[] flipped = stored.clone();
    flipped[flipped.length - 1] ^= 1;
    assertThatThrownBy(() -> pooled.decrypt(flipped, AAD)).isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> pooled.decrypt(stored, "record:other".getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> PooledAesGcm.of(dataKey()).orElseThrow().decrypt(stored, AAD))
        .isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> pooled.decrypt(Arrays.copyOf(stored, 20), AAD)).isInstanceOf(GeneralSecurityException.class);
    // a refused ciphertext leaves no broken cipher behind: the next call works
    assertThat(pooled.decrypt(stored, AAD)).isEqualTo("secret".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void keysetsOfAnotherShapeKeepTinksPrimitive() throws Exception {
    assertThat(PooledAesGcm.of(KeysetHandle.generateNew(PredefinedAeadParameters.AES256_EAX))).isEmpty();
    assertThat(PooledAesGcm.of(KeysetHandle.generateNew(PredefinedAeadParameters.XCHACHA20_POLY1305))).isEmpty();
    KeysetHandle two = KeysetHandle.newBuilder()
        .addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM).withRandomId().makePrimary())
        .addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM).withRandomId())
        .build();
    assertThat(PooledAesGcm.of(two)).isEmpty();
  }

  @Test
  void manyVirtualThreadsShareTheCiphersCorrectly() throws Exception {
    KeysetHandle key = dataKey();
    Aead pooled = PooledAesGcm.of(key).orElseThrow();
    Aead tink = tink(key);
    List<Future<Boolean>> results = new ArrayList<>();
    try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 500; i++) {
        byte[] plain = ("payload " + i).getBytes(StandardCharsets.UTF_8);
        results.add(threads.submit(() ->
            Arrays.equals(tink.decrypt(pooled.encrypt(plain, AAD), AAD), plain)
                && Arrays.equals(pooled.decrypt(tink.encrypt(plain, AAD), AAD), plain)));
      }
    }
    for (Future<Boolean> result : results) {
      assertThat(result.get()).isTrue();
    }
  }
}
