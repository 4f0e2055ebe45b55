package dev.cairn.server.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The API token format {@code cairn_pat_<id>_<secret>}: a 32-hex-digit token id (to find the
 * row) and a 64-hex-digit secret (256 random bits) of which only the SHA-256 is stored.
 */
final class TokenCodec {
  static final String PREFIX = "cairn_pat_";
  private static final Pattern FORMAT = Pattern.compile("^cairn_pat_([0-9a-f]{32})_([0-9a-f]{64})$");
  private static final HexFormat HEX = HexFormat.of();

  private final SecureRandom random;

  TokenCodec(SecureRandom random) {
    this.random = random;
  }

  /** A presented token, split. */
  record Parsed(UUID tokenId, String secret) {}

  /** A freshly minted token: the id to store, the hash to store, the string to show once. */
  record Minted(UUID tokenId, byte[] secretSha256, String token) {}

  Minted mint() {
    byte[] idBytes = new byte[16];
    random.nextBytes(idBytes);
    // a version-4 UUID, so the id is an ordinary uuid in the database
    idBytes[6] = (byte) ((idBytes[6] & 0x0f) | 0x40);
    idBytes[8] = (byte) ((idBytes[8] & 0x3f) | 0x80);
    String idHex = HEX.formatHex(idBytes);
    UUID id = UUID.fromString(dashed(idHex));
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String secretHex = HEX.formatHex(secret);
    return new Minted(id, sha256(secretHex), PREFIX + idHex + "_" + secretHex);
  }

  static Optional<Parsed> parse(String token) {
    var m = FORMAT.matcher(token);
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new Parsed(UUID.fromString(dashed(m.group(1))), m.group(2)));
  }

  /**
   * Hashes on every call (the secret of a cached token too) from a clone of one digest that is
   * never updated: {@code MessageDigest.getInstance} searches the providers each time, and a
   * thread-local digest would be made anew on every virtual thread.
   */
  static byte[] sha256(String secret) {
    return fresh().digest(secret.getBytes(StandardCharsets.UTF_8));
  }

  private static final MessageDigest SHA256 = newSha256();

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /** A digest in its initial state; concurrent clones of the untouched prototype are safe. */
  private static MessageDigest fresh() {
    try {
      return (MessageDigest) SHA256.clone();
    } catch (CloneNotSupportedException e) {
      return newSha256(); // a provider whose digest cannot be cloned: look it up each time
    }
  }

  /** Constant-time comparison of two hashes. */
  static boolean matches(byte[] expected, byte[] actual) {
    return MessageDigest.isEqual(expected, actual);
  }

  private static String dashed(String hex) {
    return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
        + hex.substring(16, 20) + "-" + hex.substring(20);
  }
}
