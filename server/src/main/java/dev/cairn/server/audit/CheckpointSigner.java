package dev.cairn.server.audit;

import static java.util.Objects.requireNonNull;

import com.google.crypto.tink.KeysetHandle;
import com.google.gson.JsonObject;
import dev.cairn.server.crypto.Signer;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Signs and checks audit checkpoints with the server's Ed25519 attestation key, the one
 * attestations and consent receipts are signed with (and GetAttestationKey publishes),
 * through the same {@link Signer}, so the key id is the one those carry.
 */
final class CheckpointSigner {
  static final String TYPE = "cairn.dev/AuditCheckpoint/v1";
  private static final HexFormat HEX = HexFormat.of();

  private final Signer signer;

  CheckpointSigner(KeysetHandle attestationKey) {
    this.signer = new Signer(requireNonNull(attestationKey, "attestationKey"));
  }

  String keyId() {
    return signer.keyId();
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
    return signer.sign(payload).signature();
  }

  /** True when {@code checkpoint} was signed by this server's key over exactly its fields. */
  boolean verifies(UUID owner, AuditEvents.Checkpoint checkpoint) {
    if (!checkpoint.keyId().equals(signer.keyId())) {
      return false; // a key this server does not hold: it cannot vouch for it
    }
    return signer.verifies(
        payload(owner, checkpoint.seq(), checkpoint.hash(), checkpoint.signedAt(), checkpoint.keyId()),
        checkpoint.signature());
  }
}
