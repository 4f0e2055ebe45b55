package dev.cairn.server.jobs;

import dev.cairn.server.core.Principal;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A job a worker holds the lease of, as its handler sees it.
 *
 * @param attempt this attempt's number, from 1 (a retry or a takeover after a lost lease counts one)
 * @param traceparent the W3C trace context of the span that enqueued it, or null when none was current
 */
public record ClaimedJob(
    UUID id, String kind, @Nullable UUID ownerId, String payload, int attempt, int maxAttempts,
    @Nullable String traceparent) {

  /** A job enqueued outside any span. */
  public ClaimedJob(UUID id, String kind, @Nullable UUID ownerId, String payload, int attempt, int maxAttempts) {
    this(id, kind, ownerId, payload, attempt, maxAttempts, null);
  }

  /** Whom the handler's transactions run as: the owner, so row-level security applies. */
  public Principal principal() {
    return ownerId == null ? Principal.anonymous() : Principal.system(ownerId);
  }

  /** The owner; for handlers of kinds that are always enqueued with one. */
  public UUID requireOwner() {
    if (ownerId == null) {
      throw new IllegalStateException("job " + id + " (" + kind + ") has no owner");
    }
    return ownerId;
  }
}
