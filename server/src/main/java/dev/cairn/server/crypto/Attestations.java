package dev.cairn.server.crypto;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.signature.PredefinedSignatureParameters;
import com.google.crypto.tink.signature.SignatureConfig;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * The server's Ed25519 signing key for attestations and consent receipts (raw output, so any
 * Ed25519 library verifies the signatures against the published public key).
 */
public final class Attestations {
  static {
    try {
      SignatureConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Attestations() {}

  /** A new private signing keyset, base64. */
  public static String generateKey() {
    try {
      KeysetHandle handle = KeysetHandle.generateNew(PredefinedSignatureParameters.ED25519WithRawOutput);
      return Base64.getEncoder()
          .encodeToString(TinkProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not generate the attestation key", e);
    }
  }

  public static KeysetHandle parseKey(String base64) {
    try {
      return TinkProtoKeysetFormat.parseKeyset(Base64.getDecoder().decode(base64.trim()), InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("CAIRN_ATTESTATION_KEY is not a base64 Tink keyset", e);
    }
  }
}
