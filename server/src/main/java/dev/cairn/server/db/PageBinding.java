package dev.cairn.server.db;

import dev.cairn.server.core.Principal;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * What a page token is good for: the caller, the list method and every filter of the request
 * (all but {@code page_size} and {@code page_token}). It is never put into the token; the next
 * request rebuilds it, and the token's MAC only verifies when both are the same. Each part is
 * length-prefixed and tagged, so no two different requests serialise alike ({@code null} is
 * not {@code "null"}, {@code ["a, b"]} is not {@code ["a", "b"]}).
 */
public final class PageBinding {
  private static final int NULL = 0;
  private static final int SCALAR = 1;
  private static final int LIST = 2;

  private final PagePosition.Writer out = new PagePosition.Writer();

  private PageBinding(String caller, String method) {
    out.putString(caller).putString(method);
  }

  /** A binding for {@code caller} on {@code method} (the RPC's name, e.g. {@code ListGrants}). */
  public static PageBinding of(Principal caller, String method) {
    String who = caller.userId() != null ? "users/" + caller.userId() : caller.admin() ? "admin" : "anonymous";
    return new PageBinding(who, method);
  }

  /**
   * Adds one filter. Values are compared by {@code String.valueOf}; a collection by its
   * elements in order (sort it first where the request's order does not matter).
   */
  public PageBinding with(String name, @Nullable Object value) {
    out.putString(name);
    switch (value) {
      case null -> out.putByte(NULL);
      case Collection<?> values -> {
        out.putByte(LIST).putInt(values.size());
        values.forEach(v -> out.putString(String.valueOf(v)));
      }
      default -> out.putByte(SCALAR).putString(String.valueOf(value));
    }
    return this;
  }

  byte[] bytes() {
    return out.toByteArray();
  }
}
