package dev.cairn.server.core;

import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Who is calling: a user (through one of their API tokens), the configured admin, or nobody
 * (for the few calls that work without an account, such as redeeming an access link).
 *
 * @param userId the user, or null for the admin and for anonymous callers
 * @param admin true for the configured admin token
 * @param tokenId the API token used, or null
 * @param scopes what the token may do
 */
public record Principal(
    @Nullable UUID userId, boolean admin, @Nullable UUID tokenId, Set<Scope> scopes) {

  /** What a token may do; mirrors {@code cairn.identity.v1.TokenScope}. */
  public enum Scope {
    READ,
    WRITE
  }

  public Principal {
    scopes = Set.copyOf(scopes);
  }

  public static Principal user(UUID userId, UUID tokenId, Set<Scope> scopes) {
    return new Principal(userId, false, tokenId, scopes);
  }

  public static Principal forAdmin() {
    return new Principal(null, true, null, Set.of(Scope.READ, Scope.WRITE));
  }

  public static Principal anonymous() {
    return new Principal(null, false, null, Set.of());
  }

  /** For server-internal work (bootstrap, jobs) acting for one user. */
  public static Principal system(UUID userId) {
    return new Principal(userId, false, null, Set.of(Scope.READ, Scope.WRITE));
  }

  public boolean isUser() {
    return userId != null;
  }

  /** The user id; callers check {@link #isUser()} first, or the call has no user. */
  public UUID requireUserId() {
    if (userId == null) {
      throw CairnException.permissionDenied("this call needs a user's token");
    }
    return userId;
  }
}
