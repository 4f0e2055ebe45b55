package dev.cairn.server.identity;

import dev.cairn.server.core.Principal;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * What authentication knows of one API token: the row {@code cairn.authenticate_token}
 * returns, cacheable as is. {@code lastUsedAt} is this replica's latest knowledge of the last
 * recorded use, so a cached token is touched once a minute, not on every call. {@code profile}
 * is the owner's user row once a GetUser has read it: it lives and dies with the cached entry,
 * which every change to the user evicts on every replica (the {@code user:<id>} notification).
 */
record StoredToken(
    UUID tokenId,
    UUID ownerId,
    byte[] secretSha256,
    Set<Principal.Scope> scopes,
    @Nullable Instant expiresAt,
    boolean revoked,
    boolean ownerDeleted,
    AtomicReference<@Nullable Instant> lastUsedAt,
    AtomicReference<Users.@Nullable User> profile) {

  StoredToken {
    secretSha256 = secretSha256.clone();
    scopes = Set.copyOf(scopes);
  }

  /**
   * Claims the once-a-minute write of the last use: true for one caller when the recorded use
   * is over a minute before {@code now}.
   */
  boolean claimTouch(Instant now) {
    Instant last = lastUsedAt.get();
    return (last == null || last.isBefore(now.minusSeconds(60))) && lastUsedAt.compareAndSet(last, now);
  }
}
