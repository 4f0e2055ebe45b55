package dev.cairn.server.audit;

import dev.cairn.server.core.ResourceNames;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.cairn.server.grpc.CallContext;
import dev.cairn.server.grpc.ProtoTime;
import com.google.crypto.tink.KeysetHandle;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.PageTokens;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.AuditServiceGrpc;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListAuditEventsResponse;
import dev.cairn.vault.v1.AuditCheckpoint;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import dev.cairn.vault.v1.VerifyAuditLogResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;

/** {@code cairn.vault.v1.AuditService}: an owner's audit chain, listed and verified. */
public final class AuditGrpcService extends AuditServiceGrpc.AuditServiceImplBase {
  private static final String ACTION_PREFIX = "ACTION_";

  private final AuditService service;

  public AuditGrpcService(Database database, PageTokens pageTokens, KeysetHandle attestationKey, AuditChainer chainer) {
    this.service = new AuditService(
        requireNonNull(database, "database"), requireNonNull(pageTokens, "pageTokens"),
        new CheckpointSigner(requireNonNull(attestationKey, "attestationKey")), requireNonNull(chainer, "chainer"));
  }

  @Override
  public void listAuditEvents(
      ListAuditEventsRequest request, StreamObserver<ListAuditEventsResponse> response) {
    var page =
        service.list(
            CallContext.principal(), request.getParent(), filter(request), request.getPageSize(), request.getPageToken());
    var out = ListAuditEventsResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.events().forEach(e -> out.addAuditEvents(toProto(e)));
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void verifyAuditLog(VerifyAuditLogRequest request, StreamObserver<VerifyAuditLogResponse> response) {
    var result =
        service.verify(
            CallContext.principal(),
            request.getParent(),
            request.getStartSeq(),
            request.getEndSeq(),
            request.getExpectedHash().isEmpty() ? null : request.getExpectedHash().toByteArray(),
            request.getExpectedSeq());
    var out =
        VerifyAuditLogResponse.newBuilder()
            .setVerified(result.verified())
            .setEventsChecked(result.eventsChecked())
            .setFirstBrokenSeq(result.firstBrokenSeq())
            .setReason(result.reason())
            .setHeadSeq(result.headSeq())
            .setHeadHash(ByteString.copyFrom(result.headHash()))
            .setPendingEvents(result.pendingEvents());
    var checkpoint = result.checkpoint();
    if (checkpoint != null) {
      out.setCheckpoint(AuditCheckpoint.newBuilder()
          .setSeq(checkpoint.seq())
          .setHash(ByteString.copyFrom(checkpoint.hash()))
          .setSignTime(ProtoTime.timestamp(checkpoint.signedAt()))
          .setKeyId(checkpoint.keyId())
          .setPayload(ByteString.copyFrom(result.checkpointPayload()))
          .setSignature(ByteString.copyFrom(checkpoint.signature())));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  /** The request's filters; actions sorted so the page token does not depend on their order. */
  private static AuditEvents.Filter filter(ListAuditEventsRequest r) {
    List<String> actions =
        r.getActionsList().stream().map(a -> a.name().substring(ACTION_PREFIX.length())).sorted().toList();
    return new AuditEvents.Filter(
        r.getActor().isEmpty() ? null : r.getActor(),
        r.getTarget().isEmpty() ? null : r.getTarget(),
        actions,
        r.getVia().isEmpty() ? null : via(r.getVia()),
        r.hasStartTime() ? ProtoTime.offsetDateTime(r.getStartTime()) : null,
        r.hasEndTime() ? ProtoTime.offsetDateTime(r.getEndTime()) : null);
  }

  private static AuditEvents.Via via(String name) {
    int slash = name.indexOf('/');
    var kind =
        switch (name.substring(0, slash)) {
          case "grants" -> AuditEvents.Via.Kind.GRANT;
          case "accessLinks" -> AuditEvents.Via.Kind.LINK;
          default -> AuditEvents.Via.Kind.CONSENT; // validation admits only these three
        };
    return new AuditEvents.Via(kind, ResourceNames.uuid(name.substring(slash + 1)).orElse(null));
  }

  static AuditEvent toProto(AuditEvents.Event e) {
    var b =
        AuditEvent.newBuilder()
            .setName("users/" + e.owner() + "/auditEvents/" + e.seq())
            .setSeq(e.seq())
            .setEventTime(ProtoTime.timestamp(e.time()))
            .setActor(e.actor())
            .setAction(action(e.action()))
            .setTarget(e.target())
            .setOutcome(outcome(e.outcome()))
            .putAllDetails(e.details())
            .setRequestId(e.requestId())
            .setPrevHash(ByteString.copyFrom(e.prevHash()))
            .setHash(ByteString.copyFrom(e.hash()));
    if (e.viaGrant() != null) {
      b.setGrant("grants/" + e.viaGrant());
    }
    if (e.viaLink() != null) {
      b.setAccessLink("accessLinks/" + e.viaLink());
    }
    if (e.viaConsent() != null) {
      b.setConsent("consents/" + e.viaConsent());
    }
    return b.build();
  }

  private static AuditEvent.Action action(String stored) {
    try {
      return AuditEvent.Action.valueOf(ACTION_PREFIX + stored);
    } catch (IllegalArgumentException e) {
      return AuditEvent.Action.ACTION_UNSPECIFIED; // an action newer than this server's contract
    }
  }

  /** Stored outcomes: {@code OK} (AuditLog's default), {@code DENIED}, {@code FAILED}. */
  private static AuditEvent.Outcome outcome(String stored) {
    return switch (stored) {
      case "OK", "SUCCESS" -> AuditEvent.Outcome.OUTCOME_SUCCESS;
      case "DENIED" -> AuditEvent.Outcome.OUTCOME_DENIED;
      case "FAILED" -> AuditEvent.Outcome.OUTCOME_FAILED;
      default -> AuditEvent.Outcome.OUTCOME_UNSPECIFIED;
    };
  }
}
