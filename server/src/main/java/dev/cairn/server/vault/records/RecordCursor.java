package dev.cairn.server.vault.records;

import dev.cairn.server.grpc.CairnException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * QueryRecords page tokens: the sort value and id of the last record returned, bound to the
 * query (collection, filter and order) by a hash, so a token cannot be replayed against a
 * different query and silently skip or repeat records.
 */
final class RecordCursor {
  private RecordCursor() {}

  /** Where a page starts: after the row with this sort value and id. */
  record Position(@Nullable Object value, UUID id) {}

  static String encode(String binding, SortKey<?> key, @Nullable Object value, UUID id) {
    String raw = "r1|" + binding + "|" + key.write(value) + "|" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** Null for the first page; INVALID_ARGUMENT for a foreign, damaged or re-bound token. */
  static @Nullable Position decode(String token, String binding, SortKey<?> key) {
    if (token.isEmpty()) {
      return null;
    }
    String[] parts;
    try {
      parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\\|", -1);
    } catch (IllegalArgumentException e) {
      throw bad();
    }
    if (parts.length != 4 || !parts[0].equals("r1")) {
      throw bad();
    }
    if (!parts[1].equals(binding)) {
      throw CairnException.invalidField(
          "page_token", "issued for a different query (parent, filter and order_by must be unchanged)");
    }
    try {
      return new Position(key.read(parts[2]), UUID.fromString(parts[3]));
    } catch (RuntimeException e) {
      throw bad();
    }
  }

  /** What a token is bound to: the collection, filter and normalised order. */
  static String binding(UUID collection, String filter, String orderSpec) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((collection + "\n" + filter + "\n" + orderSpec).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static CairnException bad() {
    return CairnException.invalidField("page_token", "not a token this server issued");
  }
}
