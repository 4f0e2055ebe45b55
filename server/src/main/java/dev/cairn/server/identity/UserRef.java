package dev.cairn.server.identity;

import java.util.Optional;
import java.util.UUID;

/** A {@code users/{user}} name as a request gave it: {@code users/me} or {@code users/<uuid>}. */
record UserRef(String name, String segment) {

  static UserRef parse(String name) {
    return new UserRef(name, name.substring(name.indexOf('/') + 1));
  }

  boolean isMe() {
    return segment.equals("me");
  }

  Optional<UUID> id() {
    return parseUuid(segment);
  }

  static Optional<UUID> parseUuid(String s) {
    if (s.length() != 36) {
      return Optional.empty();
    }
    try {
      return Optional.of(UUID.fromString(s));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  static String userName(UUID id) {
    return "users/" + id;
  }
}
