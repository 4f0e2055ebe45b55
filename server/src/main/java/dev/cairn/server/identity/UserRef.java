package dev.cairn.server.identity;

import dev.cairn.server.core.ResourceNames;
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
    return ResourceNames.uuid(segment);
  }

  static String userName(UUID id) {
    return "users/" + id;
  }
}
