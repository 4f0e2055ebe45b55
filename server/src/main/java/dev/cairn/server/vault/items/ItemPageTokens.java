package dev.cairn.server.vault.items;

import dev.cairn.server.db.PageToken;
import dev.cairn.server.grpc.CairnException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Page tokens bound to the query they continue: the token carries a hash of the filters (or
 * of the parent), and a token presented with different ones is INVALID_ARGUMENT rather than
 * silently continuing another listing from the wrong place.
 */
final class ItemPageTokens {
  private ItemPageTokens() {}

  static String encode(String scope, String cursor) {
    String raw = "i1:" + hash(scope) + ":" + cursor;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor inside {@code token}, or null for an empty token (the first page). */
  static @Nullable String decode(String token, String scope) {
    if (token.isEmpty()) {
      return null;
    }
    String raw;
    try {
      raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw notOurs();
    }
    String[] parts = raw.split(":", 3);
    if (parts.length != 3 || !parts[0].equals("i1")) {
      throw notOurs();
    }
    if (!parts[1].equals(hash(scope))) {
      throw CairnException.invalidField(
          "page_token", "was issued for other filters (expected: the same filters as the first page)");
    }
    return parts[2];
  }

  static String items(Items.Filter filter, PageToken last) {
    return encode(filter.canonical(), last.encode());
  }

  static @Nullable PageToken items(String token, Items.Filter filter) {
    String cursor = decode(token, filter.canonical());
    return cursor == null ? null : PageToken.decode(cursor);
  }

  static @Nullable Integer versions(String token, String parent) {
    String cursor = decode(token, parent);
    if (cursor == null) {
      return null;
    }
    try {
      return Integer.parseInt(cursor);
    } catch (NumberFormatException e) {
      throw notOurs();
    }
  }

  private static CairnException notOurs() {
    return CairnException.invalidField("page_token", "not a token this server issued");
  }

  private static String hash(String scope) {
    byte[] digest = ItemStore.sha256().digest(scope.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest, 0, 12);
  }
}
