package dev.cairn.server.audit;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The audit service's domain types: what the repository returns and the service reasons about. */
final class AuditEvents {
  private AuditEvents() {}

  /** One stored event, as the owner sees it. */
  record Event(
      UUID owner,
      long seq,
      OffsetDateTime time,
      String actor,
      String action,
      String target,
      @Nullable UUID viaGrant,
      @Nullable UUID viaLink,
      @Nullable UUID viaConsent,
      String outcome,
      Map<String, String> details,
      String requestId,
      byte[] prevHash,
      byte[] hash) {}

  /**
   * An event waiting in the queue ({@code cairn.audit_pending}) for the chainer to link it;
   * {@code details} is its JSON object as PostgreSQL returned it, kept byte for byte.
   */
  record Queued(
      long id,
      OffsetDateTime time,
      String actor,
      String action,
      String target,
      @Nullable UUID viaGrant,
      @Nullable UUID viaLink,
      @Nullable UUID viaConsent,
      String outcome,
      String details,
      String requestId) {}

  /** A queued event as the next link of its owner's chain: its seq and the hashes that link it. */
  record Linked(long seq, Queued event, byte[] prevHash, byte[] hash) {}

  /**
   * What ListAuditEvents selects, beyond the owner. Null means "any". {@code via} is the
   * grant, link or consent the access happened under.
   *
   * @param target matches the resource itself and anything under it ({@code items/x/versions/2})
   * @param actions stored action names ({@code ITEM_READ}); empty: all
   */
  record Filter(
      @Nullable String actor,
      @Nullable String target,
      List<String> actions,
      @Nullable Via via,
      @Nullable OffsetDateTime start,
      @Nullable OffsetDateTime end) {

    Filter {
      actions = List.copyOf(actions);
    }
  }

  /** A {@code grants/…}, {@code accessLinks/…} or {@code consents/…} filter. */
  record Via(Kind kind, UUID id) {
    enum Kind {
      GRANT,
      LINK,
      CONSENT
    }
  }

  /** One page of events, newest first; {@code nextPageToken} empty on the last page. */
  record Page(List<Event> events, String nextPageToken) {}

  /**
   * The outcome of re-walking a chain, with the latest signed checkpoint it was checked
   * against (and the bytes that checkpoint's signature covers), if there is one.
   */
  record Verification(
      boolean verified,
      long eventsChecked,
      long firstBrokenSeq,
      String reason,
      long headSeq,
      byte[] headHash,
      @Nullable Checkpoint checkpoint,
      byte[] checkpointPayload,
      long pendingEvents) {

    Verification withCheckpoint(Checkpoint signed, byte[] payload) {
      return new Verification(verified, eventsChecked, firstBrokenSeq, reason, headSeq, headHash, signed, payload, pendingEvents);
    }

    Verification withPending(long pending) {
      return new Verification(verified, eventsChecked, firstBrokenSeq, reason, headSeq, headHash, checkpoint, checkpointPayload, pending);
    }
  }

  /** A signed statement that the event at {@code seq} of an owner's chain has {@code hash}. */
  record Checkpoint(long seq, byte[] hash, OffsetDateTime signedAt, String keyId, byte[] signature) {}
}
