package dev.cairn.server.identity;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.ResourceNames;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a username may be. Besides the shape, it may not be a word the API gives a meaning to
 * where a user is named ({@code users/me} is the caller; {@code admin}, {@code system} and
 * {@code anonymous} are principals the server has itself; {@code -} is AIP's "any parent" and
 * already excluded by the shape), nor look like a user id, since {@code users/{user}} accepts
 * both and reads a UUID as an id: such a name would stand for another account.
 */
final class Usernames {
  static final String FIELD = "user.username";
  private static final Pattern SHAPE = Pattern.compile("^[a-z][a-z0-9_.-]{0,62}$");
  static final Set<String> RESERVED =
      Set.of("me", "self", "admin", "administrator", "root", "system", "anonymous", "all", "everyone", "any", "none");

  private Usernames() {}

  /** INVALID_ARGUMENT on {@code user.username} unless {@code username} may name a new user. */
  static void check(String username) {
    if (!SHAPE.matcher(username).matches()) {
      throw CairnException.invalidField(
          FIELD, "'" + username + "' (expected: 1-63 of a-z 0-9 . _ -, starting with a letter)");
    }
    if (RESERVED.contains(username)) {
      throw CairnException.invalidField(
          FIELD, "'" + username + "' is reserved: users/" + username + " means something else in this API");
    }
    if (ResourceNames.uuid(username).isPresent()) {
      throw CairnException.invalidField(
          FIELD, "'" + username + "' is reserved: it has the shape of a user id");
    }
  }
}
