package dev.cairn.server.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeyStatus;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.aead.AesGcmKey;
import com.google.crypto.tink.aead.AesGcmParameters;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AEAD of a data key that is one AES-GCM key, as Tink's own primitive computes it (the same
 * bytes: output prefix, 12-byte IV, ciphertext and 16-byte tag), on JCE ciphers taken from a pool
 * shared by all threads. Tink keeps one {@code Cipher} (and, to encrypt, one {@code SecureRandom})
 * per thread; calls run on virtual threads, a new one for each call, so Tink built both anew on
 * every call. Keysets of any other shape keep Tink's primitive ({@link #of} is empty for them).
 */
final class PooledAesGcm implements Aead {
  private static final int IV_BYTES = 12;
  private static final int TAG_BYTES = 16;
  /** Enough for the calls that run at once; more are made when needed and dropped after use. */
  private static final int MAX_POOLED = 64;
  private static final ConcurrentLinkedQueue<Cipher> POOL = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger POOLED = new AtomicInteger();
  /** Thread-safe; the IV of every encryption comes from it. */
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;
  private final byte[] prefix;

  private PooledAesGcm(byte[] key, byte[] prefix) {
    this.key = new SecretKeySpec(key, "AES");
    this.prefix = prefix.clone();
  }

  /**
   * The pooled AEAD of {@code handle} when it holds exactly one enabled AES-GCM key with Tink's
   * standard 12-byte IV and 16-byte tag and a TINK or NO_PREFIX output prefix; else empty.
   */
  static Optional<Aead> of(KeysetHandle handle) {
    if (handle.size() != 1) {
      return Optional.empty();
    }
    KeysetHandle.Entry entry = handle.getPrimary();
    if (entry.getStatus() != KeyStatus.ENABLED || !(entry.getKey() instanceof AesGcmKey gcm)) {
      return Optional.empty();
    }
    AesGcmParameters parameters = gcm.getParameters();
    if (parameters.getIvSizeBytes() != IV_BYTES
        || parameters.getTagSizeBytes() != TAG_BYTES
        || !(parameters.getVariant() == AesGcmParameters.Variant.TINK
            || parameters.getVariant() == AesGcmParameters.Variant.NO_PREFIX)) {
      return Optional.empty();
    }
    return Optional.of(new PooledAesGcm(
        gcm.getKeyBytes().toByteArray(InsecureSecretKeyAccess.get()), gcm.getOutputPrefix().toByteArray()));
  }

  @Override
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
    byte[] iv = new byte[IV_BYTES];
    RANDOM.nextBytes(iv);
    Cipher cipher = take();
    byte[] out = new byte[prefix.length + IV_BYTES + plaintext.length + TAG_BYTES];
    System.arraycopy(prefix, 0, out, 0, prefix.length);
    System.arraycopy(iv, 0, out, prefix.length, IV_BYTES);
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(8 * TAG_BYTES, iv));
    if (associatedData != null) {
      cipher.updateAAD(associatedData);
    }
    int written = cipher.doFinal(plaintext, 0, plaintext.length, out, prefix.length + IV_BYTES);
    if (written != plaintext.length + TAG_BYTES) {
      throw new GeneralSecurityException("AES-GCM wrote " + written + " bytes (expected: " + (plaintext.length + TAG_BYTES) + ")");
    }
    give(cipher); // only after success: a cipher that threw is dropped
    return out;
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
    if (ciphertext.length < prefix.length + IV_BYTES + TAG_BYTES) {
      throw new GeneralSecurityException("ciphertext too short");
    }
    if (!MessageDigest.isEqual(prefix, java.util.Arrays.copyOf(ciphertext, prefix.length))) {
      throw new GeneralSecurityException("ciphertext was not made with this key (output prefix differs)");
    }
    Cipher cipher = take();
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(8 * TAG_BYTES, ciphertext, prefix.length, IV_BYTES));
    if (associatedData != null) {
      cipher.updateAAD(associatedData);
    }
    int offset = prefix.length + IV_BYTES;
    byte[] plaintext = cipher.doFinal(ciphertext, offset, ciphertext.length - offset);
    give(cipher);
    return plaintext;
  }

  private static Cipher take() throws GeneralSecurityException {
    Cipher cipher = POOL.poll();
    if (cipher != null) {
      POOLED.decrementAndGet();
      return cipher;
    }
    return Cipher.getInstance("AES/GCM/NoPadding");
  }

  private static void give(Cipher cipher) {
    if (POOLED.incrementAndGet() <= MAX_POOLED) {
      POOL.offer(cipher);
    } else {
      POOLED.decrementAndGet();
    }
  }
}
