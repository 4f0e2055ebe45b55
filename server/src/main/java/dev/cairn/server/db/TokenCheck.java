package dev.cairn.server.db;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Principal;
import io.grpc.Context;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A call authenticated from the token cache whose token has not yet been proven live since the
 * call began. Two things prove it: the first transaction (or one-statement pipeline) the call runs
 * as that token, whose locals check the token in SQL at the statement's snapshot (V33, {@link
 * Database}), or the {@code barrier} (the LISTEN connection's round trip, then the cache entry
 * again), which whatever answers the call runs first when no statement did ({@link #ensure}). So a
 * call whose work reads the database answers without waiting for the barrier, and no call answers
 * before one of the two has refused a token revoked, or a user deleted, before the call began.
 */
public final class TokenCheck {
  /** The current call's check, while it has one (put in the call's context at authentication). */
  public static final Context.Key<TokenCheck> KEY = Context.key("cairn.token-check");

  private final UUID tokenId;
  private final Runnable barrier;
  private volatile boolean confirmed;
  private volatile boolean bySql;

  /** {@code barrier} throws the call's UNAUTHENTICATED when the token is no longer live. */
  public TokenCheck(UUID tokenId, Runnable barrier) {
    this.tokenId = requireNonNull(tokenId, "tokenId");
    this.barrier = requireNonNull(barrier, "barrier");
  }

  /** The current call's check when it still needs one, else null. */
  static @Nullable TokenCheck pending() {
    TokenCheck check = KEY.get();
    return check == null || check.confirmed ? null : check;
  }

  /** Runs the barrier unless the token was proven live already; throws when it is refused. */
  public void ensure() {
    if (!confirmed) {
      barrier.run();
      confirmed = true;
    }
  }

  /** The current call's {@link #ensure}, if it has a check (a no-op otherwise). */
  public static void ensureCurrent() {
    TokenCheck check = KEY.get();
    if (check != null) {
      check.ensure();
    }
  }

  public boolean confirmed() {
    return confirmed;
  }

  /** Whether a statement's check (rather than the barrier) confirmed the token. */
  public boolean confirmedBySql() {
    return bySql;
  }

  /** The token the locals of a transaction run as {@code principal} check: this call's, or none. */
  String tokenFor(Principal principal) {
    return !confirmed && tokenId.equals(principal.tokenId()) ? tokenId.toString() : "";
  }

  /** A statement run as {@code principal} whose locals carried {@link #tokenFor} has succeeded. */
  void checkedBy(Principal principal) {
    if (tokenId.equals(principal.tokenId())) {
      bySql = bySql || !confirmed;
      confirmed = true;
    }
  }
}
