package dev.cairn.server.audit;

import static dev.cairn.server.db.jooq.Tables.AUDIT_EVENTS;
import static dev.cairn.server.audit.AuditFixtures.append;
import static dev.cairn.server.audit.AuditFixtures.audit;
import static dev.cairn.server.audit.AuditFixtures.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.cairn.server.grpc.ProtoTime;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListAuditEventsResponse;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import dev.cairn.vault.v1.VerifyAuditLogResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** ListAuditEvents and VerifyAuditLog over real gRPC and PostgreSQL. */
class AuditServiceEndToEndTest {
  private final CairnTestServer server = CairnTestServer.get();

  private static ListAuditEventsRequest.Builder mine() {
    return ListAuditEventsRequest.newBuilder().setParent("users/me");
  }

  private static VerifyAuditLogResponse verify(TestUser user) {
    return audit(user).verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent("users/me").build());
  }

  @Test
  void listShowsWhoReadMyDataUnderWhichGrantNewestFirst() {
    TestUser owner = server.newUser("audit-owner");
    TestUser reader = server.newUser("audit-reader");
    UUID item = UUID.randomUUID();
    UUID grant = UUID.randomUUID();
    UUID consent = UUID.randomUUID();
    append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_CREATE, "items/" + item, "req-1"));
    append(id(owner), AuditLog.Entry.of("users/" + reader.id(), AuditAction.ITEM_READ, "items/" + item + "/versions/1", "req-2")
        .withVia(grant, null, consent)
        .withDetails(Map.of("version", "1"))
        .withSensitive(Map.of("client_ip", "203.0.113.9")));

    ListAuditEventsResponse page = audit(owner).listAuditEvents(mine().build());

    assertThat(page.getAuditEventsList()).extracting(AuditEvent::getSeq).containsExactly(2L, 1L);
    AuditEvent read = page.getAuditEvents(0);
    assertThat(read.getName()).isEqualTo("users/" + owner.id() + "/auditEvents/2");
    assertThat(read.getActor()).isEqualTo("users/" + reader.id());
    assertThat(read.getAction()).isEqualTo(AuditEvent.Action.ACTION_ITEM_READ);
    assertThat(read.getOutcome()).isEqualTo(AuditEvent.Outcome.OUTCOME_SUCCESS);
    assertThat(read.getGrant()).isEqualTo("grants/" + grant);
    assertThat(read.getConsent()).isEqualTo("consents/" + consent);
    assertThat(read.getAccessLink()).isEmpty();
    assertThat(read.getRequestId()).isEqualTo("req-2");
    assertThat(read.getDetailsMap()).containsEntry("version", "1").containsKey("client_ip_hmac")
        .doesNotContainKey("client_ip");
    assertThat(read.getDetailsMap().values()).doesNotContain("203.0.113.9");
    assertThat(read.getPrevHash()).isEqualTo(page.getAuditEvents(1).getHash());
    assertThat(read.getHash().size()).isEqualTo(32);
    assertThat(page.getNextPageToken()).isEmpty();
  }

  @Test
  void listFiltersByActorTargetActionViaAndTime() {
    TestUser owner = server.newUser("audit-filter");
    TestUser reader = server.newUser("audit-filter-reader");
    String me = "users/" + owner.id();
    String them = "users/" + reader.id();
    UUID item = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    UUID link = UUID.randomUUID();
    Instant t0 = Instant.parse("2030-01-01T00:00:00Z");
    append(id(owner), AuditLog.Entry.of(me, AuditAction.ITEM_CREATE, "items/" + item, "r"), t0);
    append(id(owner), AuditLog.Entry.of(them, AuditAction.ITEM_READ, "items/" + item + "/versions/1", "r"), t0.plusSeconds(60));
    append(id(owner), AuditLog.Entry.of(them, AuditAction.ITEM_DOWNLOAD, "items/" + other, "r"), t0.plusSeconds(120));
    append(id(owner), AuditLog.Entry.of("accessLinks/" + link, AuditAction.LINK_REDEEM, "items/" + item, "r")
        .withVia(null, link, null), t0.plusSeconds(180));
    // an id that shares items/<item>'s text as a prefix but is another resource
    append(id(owner), AuditLog.Entry.of(me, AuditAction.ITEM_CREATE, "items/" + item + "x", "r"), t0.plusSeconds(240));

    assertThat(seqs(owner, mine().setActor(them))).containsExactly(3L, 2L);
    assertThat(seqs(owner, mine().setTarget("items/" + item))).containsExactly(4L, 2L, 1L);
    assertThat(seqs(owner, mine().addActions(AuditEvent.Action.ACTION_ITEM_READ)
        .addActions(AuditEvent.Action.ACTION_ITEM_DOWNLOAD))).containsExactly(3L, 2L);
    assertThat(seqs(owner, mine().setVia("accessLinks/" + link))).containsExactly(4L);
    assertThat(seqs(owner, mine().setVia("grants/not-a-uuid"))).isEmpty();
    assertThat(seqs(owner, mine()
        .setStartTime(ProtoTime.timestamp(OffsetDateTime.ofInstant(t0.plusSeconds(60), ZoneOffset.UTC)))
        .setEndTime(ProtoTime.timestamp(OffsetDateTime.ofInstant(t0.plusSeconds(180), ZoneOffset.UTC)))))
        .containsExactly(3L, 2L);
  }

  @Test
  void pagesWalkTheWholeLogAndTokensAreBoundToTheirFilters() {
    TestUser owner = server.newUser("audit-pages");
    for (int i = 0; i < 7; i++) {
      append(id(owner), AuditLog.Entry.of("users/" + owner.id(), i % 2 == 0 ? AuditAction.ITEM_READ : AuditAction.ITEM_UPDATE,
          "items/" + UUID.randomUUID(), "r" + i));
    }

    var first = audit(owner).listAuditEvents(mine().setPageSize(3).build());
    var second = audit(owner).listAuditEvents(mine().setPageSize(3).setPageToken(first.getNextPageToken()).build());
    var third = audit(owner).listAuditEvents(mine().setPageSize(3).setPageToken(second.getNextPageToken()).build());

    assertThat(first.getAuditEventsList()).extracting(AuditEvent::getSeq).containsExactly(7L, 6L, 5L);
    assertThat(second.getAuditEventsList()).extracting(AuditEvent::getSeq).containsExactly(4L, 3L, 2L);
    assertThat(third.getAuditEventsList()).extracting(AuditEvent::getSeq).containsExactly(1L);
    assertThat(third.getNextPageToken()).isEmpty();

    var otherFilters = mine().addActions(AuditEvent.Action.ACTION_ITEM_READ).setPageToken(first.getNextPageToken());
    assertThatThrownBy(() -> audit(owner).listAuditEvents(otherFilters.build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolations(0).getField()).isEqualTo("page_token");
        });
    assertThatThrownBy(() -> audit(owner).listAuditEvents(mine().setPageToken("garbage").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void anotherUsersLogIsNotFoundAndMyListNeverShowsTheirEvents() {
    TestUser alice = server.newUser("audit-alice");
    TestUser mallory = server.newUser("audit-mallory");
    append(id(alice), AuditLog.Entry.of("users/" + alice.id(), AuditAction.ITEM_CREATE, "items/" + UUID.randomUUID(), "r"));
    // mallory acts on her own data; alice's events must not leak into her list, nor hers into alice's
    append(id(mallory), AuditLog.Entry.of("users/" + mallory.id(), AuditAction.ITEM_CREATE, "items/" + UUID.randomUUID(), "r"));

    for (String parent : new String[] {"users/" + alice.id(), "users/" + UUID.randomUUID(), "users/someone"}) {
      assertThatThrownBy(() -> audit(mallory).listAuditEvents(ListAuditEventsRequest.newBuilder().setParent(parent).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
      assertThatThrownBy(() -> audit(mallory).verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent(parent).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
    var malloryList = audit(mallory).listAuditEvents(mine().build()).getAuditEventsList();
    assertThat(malloryList).hasSize(1).allSatisfy(e -> assertThat(e.getName()).startsWith("users/" + mallory.id() + "/"));
    assertThat(audit(mallory).listAuditEvents(mine().setActor("users/" + alice.id()).build()).getAuditEventsCount()).isZero();
    assertThat(verify(mallory).getEventsChecked()).isEqualTo(1);
    // alice may name herself explicitly
    assertThat(audit(alice).listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/" + alice.id()).build())
        .getAuditEventsList()).hasSize(1);
  }

  @Test
  void theAdminHasNoAuditLogOfItsOwn() {
    var adminAudit = dev.cairn.vault.v1.AuditServiceGrpc.newBlockingStub(server.channel())
        .withCallCredentials(CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN));
    assertThatThrownBy(() -> adminAudit.listAuditEvents(mine().build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void verifyPassesAnIntactChainAndReportsItsHead() {
    TestUser owner = server.newUser("audit-intact");
    assertThat(verify(owner).getVerified()).isTrue();
    assertThat(verify(owner).getEventsChecked()).isZero();
    for (int i = 0; i < 5; i++) {
      append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/" + UUID.randomUUID(), "r"));
    }

    VerifyAuditLogResponse result = verify(owner);

    assertThat(result.getVerified()).isTrue();
    assertThat(result.getEventsChecked()).isEqualTo(5);
    assertThat(result.getFirstBrokenSeq()).isZero();
    assertThat(result.getReason()).isEmpty();
    assertThat(result.getHeadSeq()).isEqualTo(5);
    assertThat(result.getHeadHash()).isEqualTo(audit(owner).listAuditEvents(mine().setPageSize(1).build()).getAuditEvents(0).getHash());

    var range = audit(owner).verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent("users/me")
        .setStartSeq(2).setEndSeq(4).setExpectedSeq(3)
        .setExpectedHash(audit(owner).listAuditEvents(mine().setPageSize(3).build()).getAuditEvents(2).getHash())
        .build());
    assertThat(range.getVerified()).isTrue();
    assertThat(range.getEventsChecked()).isEqualTo(3);
    assertThat(range.getHeadSeq()).isEqualTo(4);
  }

  @Test
  void changingAnEventsDetailsOrActorByHandIsDetectedAtItsSeq() {
    for (String column : new String[] {"details", "actor"}) {
      TestUser owner = server.newUser("audit-tamper");
      appendThree(owner);
      String value = column.equals("details") ? "{\"version\": \"9\"}" : "users/" + UUID.randomUUID();
      String cast = column.equals("details") ? "::jsonb" : "";
      assertThat(AuditFixtures.superuserUpdate(
          "UPDATE cairn.audit_events SET " + column + " = ?" + cast + " WHERE owner_id = ? AND seq = 2",
          value, id(owner))).isEqualTo(1);

      VerifyAuditLogResponse result = verify(owner);

      assertThat(result.getVerified()).as(column).isFalse();
      assertThat(result.getFirstBrokenSeq()).as(column).isEqualTo(2);
      assertThat(result.getReason()).as(column).contains("hash mismatch");
    }
  }

  @Test
  void forgingAnEventWithAMatchingHashBreaksTheNextEventsLink() throws Exception {
    TestUser owner = server.newUser("audit-forge");
    appendThree(owner);
    try (var connection = AuditFixtures.superuser()) {
      var sql = org.jooq.impl.DSL.using(connection, org.jooq.SQLDialect.POSTGRES);
      var row = sql.selectFrom(AUDIT_EVENTS).where(AUDIT_EVENTS.OWNER_ID.eq(id(owner))).and(AUDIT_EVENTS.SEQ.eq(2L)).fetchSingle();
      row.setDetails(org.jooq.JSONB.valueOf("{\"version\":\"forged\"}"));
      row.setHash(AuditLog.hash(row.getPrevHash(), AuditRepository.canonical(row)));
      row.store(); // seq 2 is now consistent with itself
    }

    VerifyAuditLogResponse result = verify(owner);

    assertThat(result.getVerified()).isFalse();
    assertThat(result.getFirstBrokenSeq()).isEqualTo(3);
    assertThat(result.getReason()).contains("broken link");
  }

  @Test
  void deletingTheLastEventIsDetectedByTheRecordedHeadAndTheChainsHeadRow() {
    TestUser owner = server.newUser("audit-truncate");
    appendThree(owner);
    VerifyAuditLogResponse before = verify(owner);
    assertThat(AuditFixtures.superuserUpdate(
        "DELETE FROM cairn.audit_events WHERE owner_id = ? AND seq = 3", id(owner))).isEqualTo(1);

    VerifyAuditLogResponse withRecordedHead = audit(owner).verifyAuditLog(VerifyAuditLogRequest.newBuilder()
        .setParent("users/me").setExpectedSeq(before.getHeadSeq()).setExpectedHash(before.getHeadHash()).build());
    assertThat(withRecordedHead.getVerified()).isFalse();
    assertThat(withRecordedHead.getFirstBrokenSeq()).isEqualTo(3);
    assertThat(withRecordedHead.getReason()).contains("expected_hash not found at seq 3");

    // even a caller who recorded nothing is told: the head row still counts three events
    VerifyAuditLogResponse bare = verify(owner);
    assertThat(bare.getVerified()).isFalse();
    assertThat(bare.getFirstBrokenSeq()).isEqualTo(3);
    assertThat(bare.getReason()).contains("events removed");

    // and if the attacker also rewinds the head row, the recorded head still catches it
    AuditFixtures.superuserUpdate(
        "UPDATE cairn.audit_heads SET seq = 2, hash = (SELECT hash FROM cairn.audit_events WHERE owner_id = ? AND seq = 2)"
            + " WHERE owner_id = ?", id(owner), id(owner));
    assertThat(verify(owner).getVerified()).isTrue(); // consistent with itself...
    assertThat(audit(owner).verifyAuditLog(VerifyAuditLogRequest.newBuilder()
        .setParent("users/me").setExpectedSeq(3).setExpectedHash(before.getHeadHash()).build()).getVerified()).isFalse();
  }

  @Test
  void deletingAMiddleEventIsAGap() {
    TestUser owner = server.newUser("audit-gap");
    appendThree(owner);
    append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/" + UUID.randomUUID(), "r"));
    AuditFixtures.superuserUpdate("DELETE FROM cairn.audit_events WHERE owner_id = ? AND seq = 2", id(owner));

    VerifyAuditLogResponse result = verify(owner);

    assertThat(result.getVerified()).isFalse();
    assertThat(result.getFirstBrokenSeq()).isEqualTo(3);
    assertThat(result.getReason()).contains("gap before seq 3").contains("seq 2 missing");
    assertThat(result.getEventsChecked()).isEqualTo(2);
  }

  @Test
  void aWrongExpectedHashFailsAndAnExpectedSeqOutsideTheRangeIsInvalid() {
    TestUser owner = server.newUser("audit-expected");
    appendThree(owner);
    var wrong = audit(owner).verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent("users/me")
        .setExpectedSeq(2).setExpectedHash(ByteString.copyFrom(new byte[32])).build());
    assertThat(wrong.getVerified()).isFalse();
    assertThat(wrong.getFirstBrokenSeq()).isEqualTo(2);

    assertThatThrownBy(() -> audit(owner).verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent("users/me")
            .setStartSeq(2).setExpectedSeq(1).setExpectedHash(ByteString.copyFrom(new byte[32])).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void verifyWalksAChainLongerThanOneBatch() {
    TestUser owner = server.newUser("audit-long");
    int n = AuditService.VERIFY_BATCH * 2 + 7;
    var log = new AuditLog(AuditFixtures.HMAC_KEY, java.time.Clock.systemUTC());
    dev.cairn.server.testing.TestDatabase.get().app().transaction(AuditFixtures.as(owner), sql -> {
      for (int i = 0; i < n; i++) {
        log.append(sql, id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/x" + i, "r"));
      }
      return null;
    });

    VerifyAuditLogResponse result = verify(owner);

    assertThat(result.getVerified()).isTrue();
    assertThat(result.getEventsChecked()).isEqualTo(n);
    assertThat(result.getHeadSeq()).isEqualTo(n);
  }

  private static void appendThree(TestUser owner) {
    for (int i = 1; i <= 3; i++) {
      append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/" + UUID.randomUUID(), "r" + i)
          .withDetails(Map.of("version", Integer.toString(i))));
    }
  }

  private static java.util.List<Long> seqs(TestUser owner, ListAuditEventsRequest.Builder request) {
    return audit(owner).listAuditEvents(request.build()).getAuditEventsList().stream().map(AuditEvent::getSeq).toList();
  }
}
