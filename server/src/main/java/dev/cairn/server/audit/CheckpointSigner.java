package dev.cairn.server.audit;

import static java.util.Objects.requireNonNull;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.signature.Ed25519PublicKey;
import com.google.crypto.tink.signature.SignatureConfig;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Signs and checks audit checkpoints with the server's Ed25519 attestation key, the one
 * attestations and consent receipts are signed with (and GetAttestationKey publishes). The
 * key id is derived from the public key exactly as the sharing signer derives it.
 */
final class CheckpointSigner {
  static final String TYPE = "cairn.dev/AuditCheckpoint/v1";
  private static final HexFormat HEX = HexFormat.of();

  private final PublicKeySign sign;
  private final PublicKeyVerify verify;
  private final String keyId;

  CheckpointSigner(KeysetHandle attestationKey) {
    requireNonNull(attestationKey, "attestationKey");
    try {
      SignatureConfig.register();
      this.sign = attestationKey.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
      KeysetHandle publicKeyset = attestationKey.getPublicKeysetHandle();
      this.verify = publicKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class);
      byte[] publicKey = ((Ed25519PublicKey) publicKeyset.getPrimary().getKey()).getPublicKeyBytes().toByteArray();
      this.keyId = "ed25519-" + HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(publicKey), 0, 8);
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IllegalStateException("the attestation key is not an Ed25519 keyset", e);
    }
  }

  String keyId() {
    return keyId;
  }

  /** The signed bytes: compact JSON, keys sorted, as documented on AuditCheckpoint.payload. */
  static byte[] payload(UUID owner, long seq, byte[] hash, OffsetDateTime signedAt, String keyId) {
    var json = new JsonObject();
    json.addProperty("hash", HEX.formatHex(hash));
    json.addProperty("key_id", keyId);
    json.addProperty("owner", "users/" + owner);
    json.addProperty("seq", seq);
    json.addProperty("time", signedAt.withOffsetSameInstant(ZoneOffset.UTC).toInstant().toString());
    json.addProperty("type", TYPE);
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }

  byte[] sign(byte[] payload) {
    try {
      return sign.sign(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing an audit checkpoint failed", e);
    }
  }

  /** True when {@code checkpoint} was signed by this server's key over exactly its fields. */
  boolean verifies(UUID owner, AuditEvents.Checkpoint checkpoint) {
    if (!checkpoint.keyId().equals(keyId)) {
      return false; // a key this server does not hold: it cannot vouch for it
    }
    try {
      verify.verify(checkpoint.signature(),
          payload(owner, checkpoint.seq(), checkpoint.hash(), checkpoint.signedAt(), checkpoint.keyId()));
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
