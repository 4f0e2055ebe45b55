package dev.cairn.server.crypto;

import static java.util.Objects.requireNonNull;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.signature.Ed25519PublicKey;
import com.google.crypto.tink.signature.SignatureConfig;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Signs attestations, consent receipts and audit checkpoints with the server's Ed25519 key (raw
 * output: a plain 64-byte RFC 8032 signature any Ed25519 library verifies), checks its own
 * signatures and publishes its public half. The key id is derived from the public key, so
 * replicas sharing the keyset agree on it.
 */
public final class Signer {
  /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes. */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  /** Bytes and their signature with the key {@code keyId}. */
  public record Signed(byte[] payload, byte[] signature, String keyId) {}

  private final PublicKeySign sign;
  private final PublicKeyVerify verify;
  private final byte[] publicKey;
  private final String keyId;

  public Signer(KeysetHandle privateKeyset) {
    requireNonNull(privateKeyset, "privateKeyset");
    try {
      SignatureConfig.register(); // idempotent; the primitive needs the signature key managers
      this.sign = privateKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
      KeysetHandle publicKeyset = privateKeyset.getPublicKeysetHandle();
      this.verify = publicKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class);
      var key = (Ed25519PublicKey) publicKeyset.getPrimary().getKey();
      this.publicKey = key.getPublicKeyBytes().toByteArray();
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IllegalStateException("the attestation key is not an Ed25519 keyset", e);
    }
    this.keyId = "ed25519-" + HexFormat.of().formatHex(sha256(publicKey), 0, 8);
  }

  public Signed sign(byte[] payload) {
    try {
      return new Signed(payload.clone(), sign.sign(payload), keyId);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing failed", e);
    }
  }

  /** True when {@code signature} is this key's signature of exactly {@code payload}. */
  public boolean verifies(byte[] payload, byte[] signature) {
    try {
      verify.verify(signature, payload);
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  public String keyId() {
    return keyId;
  }

  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The public key as a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo). */
  public String publicKeyPem() {
    byte[] der = new byte[SPKI_PREFIX.length + publicKey.length];
    System.arraycopy(SPKI_PREFIX, 0, der, 0, SPKI_PREFIX.length);
    System.arraycopy(publicKey, 0, der, SPKI_PREFIX.length, publicKey.length);
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END PUBLIC KEY-----\n";
  }

  public static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
