package dev.cairn.server.identity;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import dev.cairn.server.core.Principal;
import org.jspecify.annotations.Nullable;

/** The identity domain's small value types. */
final class Users {
  private Users() {}

  record User(UUID id, String username, String displayName, OffsetDateTime createdAt) {}

  record Token(
      UUID id,
      UUID ownerId,
      String displayName,
      Set<Principal.Scope> scopes,
      OffsetDateTime createdAt,
      @Nullable OffsetDateTime expiresAt,
      @Nullable OffsetDateTime revokedAt,
      @Nullable OffsetDateTime lastUsedAt) {}

  record TokenPage(List<Token> tokens, String nextPageToken) {}

  /** A newly created token and the bearer string shown once. */
  record NewToken(Token token, String bearer) {}
}
