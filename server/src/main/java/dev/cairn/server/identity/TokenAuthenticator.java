package dev.cairn.server.identity;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.Database;
import dev.cairn.server.db.jooq.tables.records.AuthenticateTokenRecord;
import dev.cairn.server.core.Authenticator;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.type.v1.ErrorReason;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Checks bearer tokens: the configured admin token, or a user's API token looked up by id
 * and compared by the SHA-256 of its secret in constant time. Unknown, malformed, wrong,
 * expired and revoked tokens, and tokens of deleted users, are all UNAUTHENTICATED.
 */
public final class TokenAuthenticator implements Authenticator {
  private final Database database;
  private final IdentityRepository repository = new IdentityRepository();
  private final byte @Nullable [] adminTokenSha256;
  private final Clock clock;

  public TokenAuthenticator(Database database, @Nullable String adminToken, Clock clock) {
    this.database = requireNonNull(database, "database");
    this.adminTokenSha256 = adminToken == null ? null : TokenCodec.sha256(adminToken);
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public Principal authenticate(String bearer) {
    if (adminTokenSha256 != null
        && MessageDigest.isEqual(adminTokenSha256, TokenCodec.sha256(bearer))) {
      return Principal.forAdmin();
    }
    TokenCodec.Parsed parsed =
        TokenCodec.parse(bearer).orElseThrow(() -> invalid("malformed token"));
    // one autocommit read; a write only when the recorded last use is over a minute old
    AuthenticateTokenRecord row =
        database
            .withoutTransaction(sql -> repository.findTokenForAuthentication(sql, parsed.tokenId()))
            .orElseThrow(() -> invalid("unknown token"));
    verify(row, parsed);
    if (row.getLastUsedAt() == null
        || row.getLastUsedAt().toInstant().isBefore(clock.instant().minusSeconds(60))) {
      database.withoutTransaction(
          sql -> {
            repository.touchToken(sql, parsed.tokenId());
            return null;
          });
    }
    return Principal.user(
        row.getOwnerId(),
        parsed.tokenId(),
        Arrays.stream(row.getScopes()).map(Principal.Scope::valueOf).collect(Collectors.toSet()));
  }

  private void verify(AuthenticateTokenRecord row, TokenCodec.Parsed parsed) {
    if (!TokenCodec.matches(row.getSecretSha256(), TokenCodec.sha256(parsed.secret()))) {
      throw invalid("unknown token");
    }
    if (row.getRevokedAt() != null || Boolean.TRUE.equals(row.getOwnerDeleted())) {
      throw CairnException.unauthenticated(
          ErrorReason.ERROR_REASON_TOKEN_REVOKED, "token has been revoked");
    }
    if (row.getExpiresAt() != null && !row.getExpiresAt().toInstant().isAfter(clock.instant())) {
      throw CairnException.unauthenticated(
          ErrorReason.ERROR_REASON_TOKEN_EXPIRED, "token has expired");
    }
  }

  private static CairnException invalid(String message) {
    return CairnException.unauthenticated(ErrorReason.ERROR_REASON_CREDENTIAL_INVALID, message);
  }

}
