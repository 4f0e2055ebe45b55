package dev.cairn.server.db;

import dev.cairn.server.grpc.CairnException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Opaque keyset cursors: the sort key (a time and an id) of the last row a page returned.
 * Clients treat them as opaque strings; a malformed one is INVALID_ARGUMENT.
 */
public record PageToken(OffsetDateTime time, UUID id) {

  public String encode() {
    Instant t = time.toInstant();
    String raw = "v1:" + t.getEpochSecond() + ":" + t.getNano() + ":" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** Null for an empty token (the first page). */
  public static @org.jspecify.annotations.Nullable PageToken decode(String token) {
    if (token.isEmpty()) {
      return null;
    }
    try {
      String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      String[] parts = raw.split(":", 4);
      if (parts.length != 4 || !parts[0].equals("v1")) {
        throw new IllegalArgumentException(raw);
      }
      Instant t = Instant.ofEpochSecond(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
      return new PageToken(OffsetDateTime.ofInstant(t, ZoneOffset.UTC), UUID.fromString(parts[3]));
    } catch (IllegalArgumentException e) {
      throw CairnException.invalidField("page_token", "not a token this server issued");
    }
  }

  /** One page of rows and the token of the next page ("" when there is none). */
  public record Page<T>(List<T> rows, String nextPageToken) {}

  /**
   * Cuts a page from rows fetched with {@code limit + 1}: the extra row only says there is
   * more; the token names the last row kept.
   */
  public static <T> Page<T> page(List<T> fetched, int limit, Function<T, PageToken> keyOf) {
    if (fetched.size() <= limit) {
      return new Page<>(fetched, "");
    }
    List<T> rows = fetched.subList(0, limit);
    return new Page<>(rows, keyOf.apply(rows.get(limit - 1)).encode());
  }

  /** page_size 0 means the default; validation already bounds it. */
  public static int pageSize(int requested, int defaultSize, int max) {
    return requested <= 0 ? defaultSize : Math.min(requested, max);
  }
}
