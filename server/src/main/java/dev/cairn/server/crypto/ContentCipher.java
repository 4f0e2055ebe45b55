package dev.cairn.server.crypto;

import com.google.crypto.tink.Aead;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.UUID;

/**
 * Encrypts vault payloads with an owner's data key. The associated data names exactly where
 * a ciphertext belongs (kind, owner, item, and blob+segment or version), so a ciphertext copied
 * into another row, item or owner fails to decrypt instead of being served.
 */
public final class ContentCipher {
  private ContentCipher() {}

  public static byte[] encryptSegment(Aead aead, UUID owner, UUID item, UUID blob, int seq, byte[] plaintext) {
    return encrypt(aead, plaintext, segmentAad(owner, item, blob, seq));
  }

  public static byte[] decryptSegment(Aead aead, UUID owner, UUID item, UUID blob, int seq, byte[] ciphertext) {
    return decrypt(aead, ciphertext, segmentAad(owner, item, blob, seq));
  }

  public static byte[] encryptRecord(Aead aead, UUID owner, UUID item, int version, byte[] json) {
    return encrypt(aead, json, recordAad(owner, item, version));
  }

  public static byte[] decryptRecord(Aead aead, UUID owner, UUID item, int version, byte[] ciphertext) {
    return decrypt(aead, ciphertext, recordAad(owner, item, version));
  }

  /** A search chunk's text (and heading path), bound to its owner, item, version and ordinal. */
  public static byte[] encryptChunkText(Aead aead, UUID owner, UUID item, int version, int ordinal, byte[] plaintext) {
    return encrypt(aead, plaintext, chunkTextAad(owner, item, version, ordinal));
  }

  public static byte[] decryptChunkText(Aead aead, UUID owner, UUID item, int version, int ordinal, byte[] ciphertext) {
    return decrypt(aead, ciphertext, chunkTextAad(owner, item, version, ordinal));
  }

  /**
   * A chat message's text ({@code part} 0) or citations ({@code part} 1), bound to its owner,
   * conversation and message: a message's ciphertext never decrypts as another's, nor as content.
   */
  public static byte[] encryptMessage(Aead aead, UUID owner, UUID conversation, UUID message, int part, byte[] plaintext) {
    return encrypt(aead, plaintext, messageAad(owner, conversation, message, part));
  }

  public static byte[] decryptMessage(Aead aead, UUID owner, UUID conversation, UUID message, int part, byte[] ciphertext) {
    return decrypt(aead, ciphertext, messageAad(owner, conversation, message, part));
  }

  static byte[] messageAad(UUID owner, UUID conversation, UUID message, int part) {
    return ByteBuffer.allocate(13 + 48 + 4)
        .put("chat-message:".getBytes(StandardCharsets.US_ASCII))
        .put(KeyEncryptionKeys.ownerBytes(owner))
        .put(KeyEncryptionKeys.ownerBytes(conversation))
        .put(KeyEncryptionKeys.ownerBytes(message))
        .putInt(part)
        .array();
  }

  /** Its own prefix: a chunk's ciphertext never authenticates as a segment or record, nor the reverse. */
  static byte[] chunkTextAad(UUID owner, UUID item, int version, int ordinal) {
    return ByteBuffer.allocate(13 + 32 + 8)
        .put("search-chunk:".getBytes(StandardCharsets.US_ASCII))
        .put(KeyEncryptionKeys.ownerBytes(owner))
        .put(KeyEncryptionKeys.ownerBytes(item))
        .putInt(version)
        .putInt(ordinal)
        .array();
  }

  /**
   * A document segment's associated data. Its prefix is still "chunk:", the storage's name
   * before segments: every stored ciphertext was authenticated with these exact bytes, so a
   * new word here would make all existing content undecryptable.
   */
  static byte[] segmentAad(UUID owner, UUID item, UUID blob, int seq) {
    return ByteBuffer.allocate(6 + 48 + 4)
        .put("chunk:".getBytes(StandardCharsets.US_ASCII)) // the old word, kept: see above
        .put(KeyEncryptionKeys.ownerBytes(owner))
        .put(KeyEncryptionKeys.ownerBytes(item))
        .put(KeyEncryptionKeys.ownerBytes(blob))
        .putInt(seq)
        .array();
  }

  static byte[] recordAad(UUID owner, UUID item, int version) {
    return ByteBuffer.allocate(7 + 32 + 4)
        .put("record:".getBytes(StandardCharsets.US_ASCII))
        .put(KeyEncryptionKeys.ownerBytes(owner))
        .put(KeyEncryptionKeys.ownerBytes(item))
        .putInt(version)
        .array();
  }

  private static byte[] encrypt(Aead aead, byte[] plaintext, byte[] aad) {
    try {
      return aead.encrypt(plaintext, aad);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("encryption failed", e);
    }
  }

  private static byte[] decrypt(Aead aead, byte[] ciphertext, byte[] aad) {
    try {
      return aead.decrypt(ciphertext, aad);
    } catch (GeneralSecurityException e) {
      // a swapped or altered row: never serve it
      throw new IllegalStateException("ciphertext does not authenticate (altered or moved row)", e);
    }
  }
}
