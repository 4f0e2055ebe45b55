package dev.cairn.server.audit;

import dev.cairn.server.core.Caller;
import static dev.cairn.server.audit.AuditFixtures.as;
import static dev.cairn.server.audit.AuditFixtures.audit;
import static dev.cairn.server.audit.AuditFixtures.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.server.audit.AccessDenials;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A stranger refused an owner's item shows up in the owner's audit log; nobody else does. */
class AccessDenialsTest {
  private final CairnTestServer server = CairnTestServer.get();
  private final AccessDenials denials =
      new AccessDenials(TestDatabase.get().app(), new AuditLog(AuditFixtures.HMAC_KEY, Clock.systemUTC()));

  /** What the items service does: look the item up as the caller, and record the refusal. */
  private void strangerTriesToRead(Principal stranger, UUID item) throws Exception {
    assertThatThrownBy(() -> TestDatabase.get().app().transaction(stranger,
            sql -> new VaultAccess().item(sql, Caller.of(stranger), item, VaultAccess.Role.READ, false, false)))
        .isInstanceOfSatisfying(CairnException.class, e -> assertThat(e.kind()).isEqualTo(CairnException.Kind.NOT_FOUND));
    assertThat(denials.submit(new Caller(stranger, "-", "GetItem"), item).get(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aStrangersFailedAccessLandsInTheOwnersAuditLog() throws Exception {
    var owner = server.newUser("denial-owner");
    var stranger = server.newUser("denial-stranger");
    UUID item = AuditFixtures.insertItem(owner);

    strangerTriesToRead(as(stranger), item);

    var events = audit(owner).listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me")
        .addActions(AuditEvent.Action.ACTION_ACCESS_DENIED).build()).getAuditEventsList();
    assertThat(events).hasSize(1);
    AuditEvent denied = events.getFirst();
    assertThat(denied.getActor()).isEqualTo("users/" + stranger.id());
    assertThat(denied.getTarget()).isEqualTo("items/" + item);
    assertThat(denied.getOutcome()).isEqualTo(AuditEvent.Outcome.OUTCOME_DENIED);
    assertThat(denied.getDetailsMap()).containsEntry("action", "GetItem");
    // the chain stays intact, and the stranger learns nothing through their own log
    assertThat(audit(owner).verifyAuditLog(dev.cairn.vault.v1.VerifyAuditLogRequest.newBuilder()
        .setParent("users/me").build()).getVerified()).isTrue();
    assertThat(audit(stranger).listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me").build())
        .getAuditEventsCount()).isZero();
  }

  @Test
  void recordReturnsAtOnceAndTheEventArrivesInTheBackground() {
    var owner = server.newUser("denial-async");
    var stranger = server.newUser("denial-async-stranger");
    UUID item = AuditFixtures.insertItem(owner);

    denials.record(new Caller(as(stranger), "-", "DownloadItem"), item);

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    int count = 0;
    while (count == 0 && System.nanoTime() < deadline) {
      count = audit(owner).listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me").build())
          .getAuditEventsCount();
      Thread.onSpinWait();
    }
    assertThat(count).isEqualTo(1);
  }

  @Test
  void anAnonymousRedeemerIsRecordedAsAnonymous() throws Exception {
    var owner = server.newUser("denial-anon");
    UUID item = AuditFixtures.insertItem(owner);

    assertThat(denials.submit(new Caller(Principal.anonymous(), "-", "RedeemAccessLink"), item).get(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    var events = audit(owner).listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me")
        .setActor("anonymous").build()).getAuditEventsList();
    assertThat(events).extracting(AuditEvent::getAction).containsExactly(AuditEvent.Action.ACTION_ACCESS_DENIED);
  }

  @Test
  void nothingIsRecordedForAMissingItemOrTheOwnersOwnMiss() throws Exception {
    var owner = server.newUser("denial-none");
    UUID item = AuditFixtures.insertItem(owner);

    assertThat(denials.submit(new Caller(as(owner), "-", "GetItem"), item).get(10, java.util.concurrent.TimeUnit.SECONDS)).isFalse();
    assertThat(denials.submit(new Caller(as(owner), "-", "GetItem"), UUID.randomUUID()).get(10, java.util.concurrent.TimeUnit.SECONDS)).isFalse();

    assertThat(audit(owner).listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me").build())
        .getAuditEventsCount()).isZero();
    assertThat(id(owner)).isNotNull();
  }
}
