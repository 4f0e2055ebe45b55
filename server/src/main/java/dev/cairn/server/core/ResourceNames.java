package dev.cairn.server.core;

import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Ids in resource names ({@code items/{uuid}}, {@code grants/{uuid}}, ...). Only the canonical
 * 36-character form is an id: {@code UUID.fromString} also accepts shorter spellings that
 * would give one resource several names.
 */
public final class ResourceNames {
  private ResourceNames() {}

  /** The UUID {@code s} spells in canonical form, else empty. */
  public static Optional<UUID> uuid(String s) {
    if (s.length() != 36) {
      return Optional.empty();
    }
    try {
      return Optional.of(UUID.fromString(s));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The id after the first '/' of {@code name}; a name whose id is no UUID names nothing, so
   * it is NOT_FOUND like any other absent resource.
   */
  public static UUID idOf(String name) {
    return uuid(name.substring(name.indexOf('/') + 1)).orElseThrow(() -> CairnException.notFound(name));
  }

  /** A request's {@code request_id} (protovalidate checked its form), or null when empty. */
  public static @Nullable UUID requestId(String id) {
    return id.isEmpty() ? null : UUID.fromString(id);
  }
}
