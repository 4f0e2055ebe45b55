package dev.cairn.server.audit;

import static dev.cairn.server.db.jooq.Tables.AUDIT_EVENTS;
import static dev.cairn.server.db.jooq.Tables.AUDIT_HEADS;
import static dev.cairn.server.audit.AuditFixtures.append;
import static dev.cairn.server.audit.AuditFixtures.audit;
import static dev.cairn.server.audit.AuditFixtures.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import dev.cairn.vault.v1.VerifyAuditLogResponse;
import dev.cairn.vault.v1.GetAttestationKeyRequest;
import dev.cairn.vault.v1.SharingServiceGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.util.Base64;
import java.util.UUID;
import org.jooq.JSONB;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/**
 * Signed checkpoints make the chain tamper-evident against the database administrator: a
 * rewrite that recomputes every hash (consistent with itself, head included) no longer
 * matches the head the server signed.
 */
class AuditCheckpointTest {
  private final CairnTestServer server = CairnTestServer.get();
  private final AuditCheckpointer checkpointer = new AuditCheckpointer(server.server().vault().database(), server.server().vault().attestationKey(), server.server().vault().clock());

  private static VerifyAuditLogResponse verify(TestUser owner) {
    return audit(owner).verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent("users/me").build());
  }

  private static void threeEvents(TestUser owner) {
    for (int i = 1; i <= 3; i++) {
      append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/x" + i, "r" + i));
    }
  }

  @Test
  void aSelfConsistentRewriteByTheDatabaseAdministratorFailsVerification() throws Exception {
    TestUser owner = server.newUser("checkpoint");
    threeEvents(owner);
    assertThat(checkpointer.checkpoint(id(owner))).isTrue();
    assertThat(verify(owner).getVerified()).isTrue();

    rewriteAndRehash(id(owner), 2);

    VerifyAuditLogResponse after = verify(owner);
    assertThat(after.getVerified()).isFalse();
    assertThat(after.getFirstBrokenSeq()).isEqualTo(3);
    assertThat(after.getReason()).contains("checkpoint");
  }

  @Test
  void verifyReportsTheLatestCheckpointWithASignatureTheServersPublicKeyChecks() throws Exception {
    TestUser owner = server.newUser("checkpoint-ok");
    threeEvents(owner);
    assertThat(verify(owner).hasCheckpoint()).isFalse();
    assertThat(checkpointer.checkpointOnce()).isPositive(); // the scheduled round, run by hand
    assertThat(checkpointer.checkpoint(id(owner))).isFalse(); // the head has not moved since

    VerifyAuditLogResponse verified = verify(owner);
    assertThat(verified.getVerified()).isTrue();
    var checkpoint = verified.getCheckpoint();
    assertThat(checkpoint.getSeq()).isEqualTo(3);
    assertThat(checkpoint.getHash()).isEqualTo(verified.getHeadHash());
    assertThat(checkpoint.getPayload().toStringUtf8())
        .contains("\"owner\":\"users/" + owner.id() + "\"").contains("\"seq\":3");
    var key = SharingServiceGrpc.newBlockingStub(server.channel())
        .getAttestationKey(GetAttestationKeyRequest.newBuilder().setKeyId(checkpoint.getKeyId()).build());
    var verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(
        Base64.getMimeDecoder().decode(key.getKey().getPublicKeyPem().replaceAll("-----[A-Z ]+-----", "")))));
    verifier.update(checkpoint.getPayload().toByteArray());
    assertThat(verifier.verify(checkpoint.getSignature().toByteArray())).isTrue();

    // the head moves on: the next round signs the new head, anchored on the old checkpoint
    append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/x4", "r4"));
    assertThat(checkpointer.checkpoint(id(owner))).isTrue();
    assertThat(verify(owner).getCheckpoint().getSeq()).isEqualTo(4);
  }

  @Test
  void aTruncatedChainIsCaughtByItsCheckpointAndARewrittenOneIsNotSignedOver() throws Exception {
    TestUser owner = server.newUser("checkpoint-cut");
    threeEvents(owner);
    assertThat(checkpointer.checkpoint(id(owner))).isTrue();
    rewriteAndRehash(id(owner), 2);
    append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/x4", "r4"));
    assertThat(checkpointer.checkpoint(id(owner))).isFalse(); // it will not vouch for the rewrite

    TestUser cut = server.newUser("checkpoint-cut2");
    threeEvents(cut);
    assertThat(checkpointer.checkpoint(id(cut))).isTrue();
    try (Connection c = AuditFixtures.superuser(); var st = c.createStatement()) {
      st.execute("DELETE FROM cairn.audit_events WHERE owner_id = '" + id(cut) + "' AND seq = 3");
      st.execute("UPDATE cairn.audit_heads h SET seq = 2, hash = e.hash FROM cairn.audit_events e"
          + " WHERE h.owner_id = e.owner_id AND e.owner_id = '" + id(cut) + "' AND e.seq = 2");
    }
    VerifyAuditLogResponse truncated = verify(cut);
    assertThat(truncated.getVerified()).isFalse();
    assertThat(truncated.getReason()).contains("signed checkpoint records seq 3");
  }

  @Test
  void aLongUnsignedStretchIsSignedInBoundedStepsUpToTheHead() throws Exception {
    // three events per transaction (its anchor included): 10 events are signed at 3, 5, 7, 9, 10
    var stepwise = new AuditCheckpointer(server.server().vault().database(), server.server().vault().attestationKey(),
        server.server().vault().clock(), 3);
    TestUser owner = server.newUser("checkpoint-steps");
    for (int i = 1; i <= 10; i++) {
      append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/x" + i, "r" + i));
    }
    assertThat(stepwise.checkpoint(id(owner))).isTrue();
    assertThat(signedSeqs(id(owner))).containsExactly(3L, 5L, 7L, 9L, 10L);
    VerifyAuditLogResponse verified = verify(owner);
    assertThat(verified.getVerified()).isTrue();
    assertThat(verified.getCheckpoint().getSeq()).isEqualTo(10);
    assertThat(verified.getCheckpoint().getHash()).isEqualTo(verified.getHeadHash());
    assertThat(stepwise.checkpoint(id(owner))).isFalse(); // nothing new since

    // a rewrite inside a later stretch: the steps before it are signed, the one over it is not
    TestUser forged = server.newUser("checkpoint-steps-forged");
    for (int i = 1; i <= 10; i++) {
      append(id(forged), AuditLog.Entry.of("users/" + forged.id(), AuditAction.ITEM_READ, "items/x" + i, "r" + i));
    }
    AuditFixtures.superuserUpdate("UPDATE cairn.audit_events SET target = 'items/forged' WHERE owner_id = ? AND seq = 6",
        id(forged));
    assertThat(stepwise.checkpoint(id(forged))).isTrue();
    assertThat(signedSeqs(id(forged))).containsExactly(3L, 5L);

    // events cut from the end of a step, the head left as it was: not signed over either
    TestUser cut = server.newUser("checkpoint-steps-cut");
    for (int i = 1; i <= 10; i++) {
      append(id(cut), AuditLog.Entry.of("users/" + cut.id(), AuditAction.ITEM_READ, "items/x" + i, "r" + i));
    }
    AuditFixtures.superuserUpdate("DELETE FROM cairn.audit_events WHERE owner_id = ? AND seq >= 5", id(cut));
    assertThat(stepwise.checkpoint(id(cut))).isTrue();
    assertThat(signedSeqs(id(cut))).containsExactly(3L);
  }

  private static java.util.List<Long> signedSeqs(UUID owner) throws Exception {
    try (Connection c = AuditFixtures.superuser();
        var ps = c.prepareStatement("SELECT seq FROM cairn.audit_checkpoints WHERE owner_id = ? ORDER BY seq")) {
      ps.setObject(1, owner);
      var out = new java.util.ArrayList<Long>();
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
      return out;
    }
  }

  @Test
  void aChainThatFailsVerificationIsCountedOnTheMetricTheAlertWatches() throws Exception {
    TestUser owner = server.newUser("checkpoint-counted");
    threeEvents(owner);
    assertThat(checkpointer.checkpoint(id(owner))).isTrue();
    double verifyBefore = failures("verify");
    double checkpointBefore = failures("checkpoint");

    rewriteAndRehash(id(owner), 2);
    append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/x4", "r4"));
    assertThat(verify(owner).getVerified()).isFalse();
    assertThat(checkpointer.checkpoint(id(owner))).isFalse();

    assertThat(failures("verify")).isGreaterThanOrEqualTo(verifyBefore + 1);
    assertThat(failures("checkpoint")).isGreaterThanOrEqualTo(checkpointBefore + 1);
  }

  /** cairn_audit_verification_failures_total{source} as the server's /metrics reports it. */
  private double failures(String source) throws Exception {
    String prefix = "cairn_audit_verification_failures_total{source=\"" + source + "\"} ";
    String body = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + server.server().metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return body.lines().filter(l -> l.startsWith(prefix)).mapToDouble(l -> Double.parseDouble(l.substring(prefix.length())))
        .findFirst().orElseThrow(() -> new AssertionError("no " + prefix + "in /metrics"));
  }

  /**
   * As the superuser (who can do anything, RLS and grants aside): changes event {@code seq}'s
   * details and recomputes every hash from it on, and the head, as a careful forger would.
   */
  static void rewriteAndRehash(UUID owner, long seq) throws Exception {
    try (Connection c = AuditFixtures.superuser()) {
      c.setAutoCommit(false);
      var sql = DSL.using(c, SQLDialect.POSTGRES);
      byte[] prev = null;
      for (var row : sql.selectFrom(AUDIT_EVENTS).where(AUDIT_EVENTS.OWNER_ID.eq(owner)).orderBy(AUDIT_EVENTS.SEQ).fetch()) {
        if (row.getSeq() == seq) {
          row.setDetails(JSONB.valueOf("{\"note\":\"nothing to see here\"}"));
        }
        if (row.getSeq() >= seq) {
          row.setPrevHash(prev);
          row.setHash(AuditLog.hash(prev, AuditRepository.canonical(row)));
          sql.update(AUDIT_EVENTS)
              .set(AUDIT_EVENTS.DETAILS, row.getDetails())
              .set(AUDIT_EVENTS.PREV_HASH, row.getPrevHash())
              .set(AUDIT_EVENTS.HASH, row.getHash())
              .where(AUDIT_EVENTS.OWNER_ID.eq(owner)).and(AUDIT_EVENTS.SEQ.eq(row.getSeq()))
              .execute();
        }
        prev = row.getHash();
      }
      sql.update(AUDIT_HEADS).set(AUDIT_HEADS.HASH, prev).where(AUDIT_HEADS.OWNER_ID.eq(owner)).execute();
      c.commit();
    }
  }
}
