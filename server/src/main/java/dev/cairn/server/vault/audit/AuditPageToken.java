package dev.cairn.server.vault.audit;

import dev.cairn.server.grpc.CairnException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * ListAuditEvents' keyset cursor: the seq of the last event a page returned, bound to the
 * owner and filters it was issued for, so a token replayed with other filters is refused
 * instead of silently paging through a different result.
 */
record AuditPageToken(long lastSeq, String fingerprint) {

  static AuditPageToken after(long lastSeq, UUID owner, AuditEvents.Filter filter) {
    return new AuditPageToken(lastSeq, fingerprint(owner, filter));
  }

  String encode() {
    String raw = "a1:" + lastSeq + ":" + fingerprint;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** The seq to continue below; null for an empty token (the first page). */
  static @Nullable Long decode(String token, UUID owner, AuditEvents.Filter filter) {
    if (token.isEmpty()) {
      return null;
    }
    String[] parts;
    long seq;
    try {
      parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":", 3);
      if (parts.length != 3 || !parts[0].equals("a1")) {
        throw new IllegalArgumentException("unknown token format");
      }
      seq = Long.parseLong(parts[1]);
    } catch (IllegalArgumentException e) {
      throw CairnException.invalidField("page_token", "not a token this server issued");
    }
    if (!MessageDigest.isEqual(
        parts[2].getBytes(StandardCharsets.UTF_8), fingerprint(owner, filter).getBytes(StandardCharsets.UTF_8))) {
      throw CairnException.invalidField(
          "page_token",
          "issued for other filters (expected: the same parent, actor, target, actions, via, start_time and"
              + " end_time as the request that returned it)");
    }
    return seq;
  }

  private static String fingerprint(UUID owner, AuditEvents.Filter filter) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((owner + "|" + filter).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 12));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
