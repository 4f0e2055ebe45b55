package dev.cairn.server.identity;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.Database;
import dev.cairn.server.db.TokenCheck;
import dev.cairn.server.core.Authenticator;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.type.v1.ErrorReason;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Checks bearer tokens: the configured admin token, or a user's API token looked up by id
 * and compared by the SHA-256 of its secret in constant time. Unknown, malformed, wrong,
 * expired and revoked tokens, and tokens of deleted users, are all UNAUTHENTICATED.
 *
 * <p>The row comes from a {@link TokenCache} while it may serve (revocation and deletion
 * evict it on every replica when they commit), else from the database; the secret and the
 * expiry are judged on every call either way.
 */
public final class TokenAuthenticator implements Authenticator {
  private final Database database;
  private final IdentityRepository repository = new IdentityRepository();
  private final byte @Nullable [] adminTokenSha256;
  private final Clock clock;
  private final TokenCache cache;

  public TokenAuthenticator(Database database, @Nullable String adminToken, Clock clock, TokenCache cache) {
    this.database = requireNonNull(database, "database");
    this.adminTokenSha256 = adminToken == null ? null : TokenCodec.sha256(adminToken);
    this.clock = requireNonNull(clock, "clock");
    this.cache = requireNonNull(cache, "cache");
  }

  @Override
  public Principal authenticate(String bearer) {
    return authenticate(bearer, false).principal();
  }

  /**
   * As {@link #authenticate}, except that a token found in the cache is taken from memory without
   * the barrier (the LISTEN round trip), and the call is given the barrier to run before it
   * answers; a call whose first statement checks the token in SQL never runs it (db.TokenCheck).
   */
  @Override
  public Authentication authenticateCall(String bearer) {
    return authenticate(bearer, true);
  }

  private Authentication authenticate(String bearer, boolean deferring) {
    if (adminTokenSha256 != null
        && MessageDigest.isEqual(adminTokenSha256, TokenCodec.sha256(bearer))) {
      return new Authentication(Principal.forAdmin(), null);
    }
    TokenCodec.Parsed parsed =
        TokenCodec.parse(bearer).orElseThrow(() -> invalid("malformed token"));
    StoredToken token = deferring ? cache.unsynced(parsed.tokenId()).orElse(null) : null;
    boolean deferred = token != null;
    if (token == null) {
      token = cache.find(parsed.tokenId(), this::load).orElseThrow(() -> invalid("unknown token"));
    }
    verify(token, parsed);
    // a write only when this replica last saw a use over a minute ago (the SQL re-checks)
    if (token.claimTouch(clock.instant())) {
      database.withoutTransaction(
          sql -> {
            repository.touchToken(sql, parsed.tokenId());
            return null;
          });
    }
    Principal principal = Principal.user(token.ownerId(), parsed.tokenId(), token.scopes());
    return new Authentication(principal, deferred ? () -> confirm(parsed) : null);
  }

  /**
   * The barrier a deferred authentication left: the cache synced with the listener (or the row
   * read from the database), then the token judged again as at authentication.
   */
  private void confirm(TokenCodec.Parsed parsed) {
    verify(cache.confirm(parsed.tokenId(), this::load).orElseThrow(() -> invalid("unknown token")), parsed);
  }

  /**
   * The caller's own user row from the cached entry of the token this call authenticated with,
   * reading it through {@code load} (the database) the first time. Asked after the call's
   * authentication, whose sync (or load; for a deferred one, the sync this runs first) made the
   * entry as fresh as every change acknowledged before the call began. The entry is taken before the read, so a
   * change that commits meanwhile evicts the very entry the row is put in; while the cache may
   * not serve, every call reads the database.
   */
  Optional<Users.User> ownProfile(Principal caller, Supplier<Optional<Users.User>> load) {
    // an authentication that deferred its sync runs it now: the entry must be fresh before it is read
    TokenCheck.ensureCurrent();
    UUID tokenId = caller.tokenId();
    UUID userId = caller.userId();
    StoredToken token = tokenId == null || userId == null ? null : cache.serving(tokenId).orElse(null);
    if (token == null || !token.ownerId().equals(userId)) {
      return load.get();
    }
    Users.User known = token.profile().get();
    if (known != null) {
      return Optional.of(known);
    }
    Optional<Users.User> loaded = load.get();
    loaded.ifPresent(user -> token.profile().compareAndSet(null, user));
    return loaded;
  }

  /** One autocommit read through the SECURITY DEFINER function. */
  private Optional<StoredToken> load(UUID tokenId) {
    return database
        .withoutTransaction(sql -> repository.findTokenForAuthentication(sql, tokenId));
  }

  private void verify(StoredToken token, TokenCodec.Parsed parsed) {
    if (!TokenCodec.matches(token.secretSha256(), TokenCodec.sha256(parsed.secret()))) {
      throw invalid("unknown token");
    }
    if (token.revoked() || token.ownerDeleted()) {
      throw CairnException.unauthenticated(
          ErrorReason.ERROR_REASON_TOKEN_REVOKED, "token has been revoked");
    }
    if (token.expiresAt() != null && !token.expiresAt().isAfter(clock.instant())) {
      throw CairnException.unauthenticated(
          ErrorReason.ERROR_REASON_TOKEN_EXPIRED, "token has expired");
    }
  }

  private static CairnException invalid(String message) {
    return CairnException.unauthenticated(ErrorReason.ERROR_REASON_CREDENTIAL_INVALID, message);
  }
}
