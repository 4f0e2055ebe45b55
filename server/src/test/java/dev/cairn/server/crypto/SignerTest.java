package dev.cairn.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The server's one Ed25519 signer: what it signs it verifies, and nothing else. */
class SignerTest {
  private final Signer signer = new Signer(Attestations.parseKey(Attestations.generateKey()));
  private final byte[] payload = "{\"seq\":7}".getBytes(StandardCharsets.UTF_8);

  @Test
  void verifiesItsOwnSignatureOfTheSameBytes() {
    assertThat(signer.verifies(payload, signer.sign(payload).signature())).isTrue();
  }

  @Test
  void refusesAChangedPayloadOrAnotherKeysSignature() {
    byte[] signature = signer.sign(payload).signature();
    byte[] changed = payload.clone();
    changed[changed.length - 2] = '8';
    var other = new Signer(Attestations.parseKey(Attestations.generateKey()));

    assertThat(signer.verifies(changed, signature)).isFalse();
    assertThat(signer.verifies(payload, other.sign(payload).signature())).isFalse();
    assertThat(other.keyId()).isNotEqualTo(signer.keyId());
  }

  @Test
  void replicasSharingTheKeysetAgreeOnTheKeyId() {
    String keyset = Attestations.generateKey();
    var one = new Signer(Attestations.parseKey(keyset));
    var two = new Signer(Attestations.parseKey(keyset));
    assertThat(one.keyId()).isEqualTo(two.keyId()).startsWith("ed25519-").hasSize("ed25519-".length() + 16);
    assertThat(two.verifies(payload, one.sign(payload).signature())).isTrue();
  }
}
