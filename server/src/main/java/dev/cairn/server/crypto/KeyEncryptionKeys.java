package dev.cairn.server.crypto;

import static java.util.Objects.requireNonNull;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The key-encryption keys (KEKs) that wrap every owner's data key. The current KEK wraps;
 * previous KEKs (kept in config during a rotation) still unwrap until {@code rewrap-keys}
 * has re-wrapped every data key with the current one. Each KEK is a Tink AES-256-GCM
 * keyset; its primary key id names it in {@code data_keys.kek_id}.
 */
public final class KeyEncryptionKeys {
  static {
    try {
      AeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long currentId;
  private final Map<Long, Aead> byId = new HashMap<>();

  /** {@code current} and {@code previous} are base64 Tink binary keysets (cleartext). */
  public KeyEncryptionKeys(String current, List<String> previous) {
    requireNonNull(current, "current");
    KeysetHandle handle = parse(current);
    this.currentId = Integer.toUnsignedLong(handle.getPrimary().getId());
    byId.put(currentId, aead(handle));
    for (String p : previous) {
      KeysetHandle h = parse(p);
      byId.putIfAbsent(Integer.toUnsignedLong(h.getPrimary().getId()), aead(h));
    }
  }

  /** A new random KEK, base64, for first starts and for operators rotating keys. */
  public static String generate() {
    try {
      KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
      return Base64.getEncoder()
          .encodeToString(TinkProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not generate a key", e);
    }
  }

  public long currentId() {
    return currentId;
  }

  /** True when the KEK with this id is configured (current or previous). */
  public boolean knows(long kekId) {
    return byId.containsKey(kekId);
  }

  /** Wraps an owner's data key with the current KEK; the owner id is associated data. */
  public byte[] wrap(KeysetHandle dataKey, UUID owner) {
    try {
      return TinkProtoKeysetFormat.serializeEncryptedKeyset(dataKey, byId.get(currentId), ownerBytes(owner));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not wrap a data key", e);
    }
  }

  /** Unwraps with the KEK that wrapped it; fails if that KEK is no longer configured. */
  public KeysetHandle unwrap(long kekId, byte[] wrapped, UUID owner) {
    Aead kek = byId.get(kekId);
    if (kek == null) {
      throw new IllegalStateException(
          "data key of " + owner + " is wrapped by KEK " + kekId
              + ", which is not configured (add it to CAIRN_KEK_PREVIOUS)");
    }
    try {
      return TinkProtoKeysetFormat.parseEncryptedKeyset(wrapped, kek, ownerBytes(owner));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("data key of " + owner + " does not unwrap", e);
    }
  }

  static byte[] ownerBytes(UUID owner) {
    return ByteBuffer.allocate(16)
        .putLong(owner.getMostSignificantBits())
        .putLong(owner.getLeastSignificantBits())
        .array();
  }

  private static KeysetHandle parse(String base64) {
    try {
      return TinkProtoKeysetFormat.parseKeyset(Base64.getDecoder().decode(base64.trim()), InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a base64 Tink keyset", e);
    }
  }

  private static Aead aead(KeysetHandle handle) {
    try {
      return handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an AEAD keyset", e);
    }
  }
}
