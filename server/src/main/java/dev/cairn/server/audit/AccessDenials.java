package dev.cairn.server.audit;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.Database;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.LoggableErrors;
import io.grpc.Context;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a refused access to an item into its owner's audit chain (ACCESS_DENIED), so the
 * owner learns that someone tried. The refusing call's own transaction cannot do it: the
 * caller's RLS hides the item (that is why it was refused) and the transaction rolls back
 * with the NOT_FOUND. So this looks the owner up with {@code cairn.item_owner} (SECURITY
 * DEFINER) in a short transaction of its own, on a virtual thread, after the caller has
 * been answered: the NOT_FOUND takes the same time whether the item exists or not.
 *
 * <p>Call it where an item lookup failed for a caller, with what they tried:
 * {@code accessDenials.record(caller, itemId)}. Nothing is written when the item
 * does not exist or the caller owns it (their own mistakes are not intrusions). Where the
 * owner is known without asking (a refused access-link redemption: the link names it), use
 * {@link #submitFor} with the event to write.
 */
public final class AccessDenials {
  private static final Logger log = LoggerFactory.getLogger(AccessDenials.class);
  /**
   * At most this many denial records write at once: a stranger probing ids must not be able
   * to drain the connection pool the real calls need; the rest wait their turn.
   */
  static final int CONCURRENT_WRITES = 4;

  private final Database database;
  private final AuditLog audit;
  private final Semaphore writers = new Semaphore(CONCURRENT_WRITES);
  private final AuditRepository repository = new AuditRepository();

  public AccessDenials(Database database, AuditLog audit) {
    this.database = requireNonNull(database, "database");
    this.audit = requireNonNull(audit, "audit");
  }

  /** Records, in the background, that {@code caller} was refused its operation on the item. */
  public void record(Caller caller, UUID itemId) {
    submit(caller, itemId);
  }

  /**
   * As {@link #record}, and completes once done: true when an event was appended, false when
   * there was nothing to record (no such item, or the caller's own).
   */
  public CompletableFuture<Boolean> submit(Caller refused, UUID itemId) {
    requireNonNull(refused, "refused");
    requireNonNull(itemId, "itemId");
    Principal caller = refused.principal();
    String attemptedAction = refused.operation();
    String requestId = refused.requestId();
    return inBackground(requestId, "a denied " + attemptedAction + " on items/" + itemId, () -> {
      UUID owner = database.transaction(caller, sql -> repository.itemOwner(sql, itemId));
      if (owner == null || owner.equals(caller.userId())) {
        return false;
      }
      // a transaction of the owner's: RLS lets a transaction append only to chains it has a
      // part in, and the refused caller has none in this owner's
      return appendAsOwner(owner, new AuditLog.Entry(
          actor(caller), AuditAction.ACCESS_DENIED, "items/" + itemId, null, null, null, "DENIED",
          Map.of("action", attemptedAction), Map.of(), requestId));
    });
  }

  /**
   * Records, in the background, a refusal whose owner is already known (an access link's,
   * found by its id, when its redemption is refused): appends {@code denied}, an
   * ACCESS_DENIED event, to {@code owner}'s chain as the owner. Completes with true once done.
   */
  public CompletableFuture<Boolean> submitFor(UUID owner, AuditLog.Entry denied) {
    requireNonNull(owner, "owner");
    requireNonNull(denied, "denied");
    return inBackground(denied.requestId(), denied.action() + " on " + denied.target(), () -> appendAsOwner(owner, denied));
  }

  private boolean appendAsOwner(UUID owner, AuditLog.Entry entry) {
    return database.transaction(Principal.system(owner), sql -> {
      audit.append(sql, owner, entry);
      return true;
    });
  }

  /** Runs {@code write} on a virtual thread, at most {@link #CONCURRENT_WRITES} at once. */
  private CompletableFuture<Boolean> inBackground(String requestId, String what, Callable<Boolean> write) {
    var done = new CompletableFuture<Boolean>();
    Thread.ofVirtual().name("access-denial-audit").start(() -> {
      try {
        done.complete(bounded(write));
      } catch (Exception e) {
        log.warn("request {}: could not record {}", requestId, what, LoggableErrors.scrub(e));
        done.completeExceptionally(e);
      }
    });
    return done;
  }

  private boolean bounded(Callable<Boolean> write) throws Exception {
    writers.acquire();
    try {
      // the root context: the refused call is over (or being cancelled); its end must not cancel this
      return Context.ROOT.call(write);
    } finally {
      writers.release();
    }
  }

  private static String actor(Principal caller) {
    return caller.userId() != null ? "users/" + caller.userId() : "anonymous";
  }
}
