package dev.cairn.server.core;

import org.jspecify.annotations.Nullable;

/** Turns a presented bearer credential into a {@link Principal}, or throws UNAUTHENTICATED. */
@FunctionalInterface
public interface Authenticator {
  /** The caller, proven as fresh as every change acknowledged before this call. */
  Principal authenticate(String bearer);

  /**
   * As {@link #authenticate}, but it may leave the freshness proof for later: then {@code
   * confirm} is non-null, and the call must run it (it throws UNAUTHENTICATED when the token was
   * revoked, or its user deleted, before the call began) before it answers, unless the database
   * checked the token meanwhile (see {@code db.TokenCheck}).
   */
  default Authentication authenticateCall(String bearer) {
    return new Authentication(authenticate(bearer), null);
  }

  /** A caller, and what still proves their token fresh (null: nothing, it is proven). */
  record Authentication(Principal principal, @Nullable Runnable confirm) {}
}
