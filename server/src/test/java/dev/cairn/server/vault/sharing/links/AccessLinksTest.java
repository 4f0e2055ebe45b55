package dev.cairn.server.vault.sharing.links;

import static dev.cairn.server.vault.sharing.SharingFixture.redeem;
import static dev.cairn.server.vault.sharing.SharingFixture.link;
import static dev.cairn.server.vault.sharing.SharingFixture.assertCode;
import static dev.cairn.server.vault.sharing.SharingFixture.grant;
import static dev.cairn.server.vault.sharing.SharingFixture.SERVER;
import static dev.cairn.server.vault.sharing.SharingFixture.anonymous;
import static dev.cairn.server.vault.sharing.SharingFixture.audit;
import static dev.cairn.server.vault.sharing.SharingFixture.awaitAudit;
import static dev.cairn.server.vault.sharing.SharingFixture.document;
import static dev.cairn.server.vault.sharing.SharingFixture.in;
import static dev.cairn.server.vault.sharing.SharingFixture.items;
import static dev.cairn.server.vault.sharing.SharingFixture.sharing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import dev.cairn.server.vault.sharing.SharingFixture;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.AccessLink;
import dev.cairn.vault.v1.CreateAccessLinkRequest;
import dev.cairn.vault.v1.CreateAccessLinkResponse;
import dev.cairn.vault.v1.DeleteItemRequest;
import dev.cairn.vault.v1.GetAttestationKeyRequest;
import dev.cairn.vault.v1.ListAccessLinksRequest;
import dev.cairn.vault.v1.RedeemAccessLinkRequest;
import dev.cairn.vault.v1.RedeemAccessLinkResponse;
import dev.cairn.vault.v1.RevokeAccessLinkRequest;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.Role;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AccessLinksTest {

  @Test
  void tokenIsShownOnceAndRedeemsWithoutAnAccount() {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "proof of address");
    var created = link(owner, item, 2, false);
    assertThat(created.getToken()).matches("^cairn_lnk_[0-9a-f]{32}_[0-9a-f]{64}$");
    assertThat(created.getAccessLink().getState()).isEqualTo(AccessLink.State.STATE_ACTIVE);

    var redeemed = redeem(created.getToken(), false);
    assertThat(redeemed.getItem().getContent().toStringUtf8()).isEqualTo("proof of address");
    assertThat(redeemed.getItem().getName()).isEqualTo("items/" + item);
    assertThat(redeemed.getRemainingUses()).isEqualTo(1);
    assertThat(redeemed.hasAttestation()).isFalse();

    var listed = sharing(owner).listAccessLinks(ListAccessLinksRequest.newBuilder().build()).getAccessLinksList();
    assertThat(listed).singleElement().satisfies(l -> {
      assertThat(l.getUseCount()).isEqualTo(1);
      assertThat(l.hasLastRedeemTime()).isTrue();
      assertThat(l.toString()).doesNotContain(created.getToken().substring(43));
    });

    UUID linkId = UUID.fromString(created.getAccessLink().getName().substring("accessLinks/".length()));
    assertThat(audit(owner)).filteredOn(r -> r.action().equals("LINK_REDEEM")).singleElement().satisfies(r -> {
      assertThat(r.actor()).isEqualTo("accessLinks/" + linkId);
      assertThat(r.viaLink()).isEqualTo(linkId);
      assertThat(r.target()).isEqualTo("items/" + item);
    });
    assertThat(audit(owner)).extracting(SharingFixture.AuditRow::action).contains("LINK_CREATE");
  }

  @Test
  void singleUseLinkRedeemedByFiftyThreadsSucceedsOnce() throws Exception {
    assertThat(race(1, 50)).isEqualTo(1);
  }

  @Test
  void threeUseLinkRedeemedByTwentyThreadsSucceedsThreeTimes() throws Exception {
    assertThat(race(3, 20)).isEqualTo(3);
  }

  /** {@code threads} redeem one {@code maxUses} link at once; the rest must be NOT_FOUND. */
  private static int race(int maxUses, int threads) throws Exception {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "race");
    String token = link(owner, item, maxUses, false).getToken();
    var start = new CountDownLatch(1);
    var ok = new AtomicInteger();
    var notFound = new AtomicInteger();
    try (var pool = Executors.newFixedThreadPool(threads)) {
      for (int i = 0; i < threads; i++) {
        pool.submit(() -> {
          start.await();
          try {
            redeem(token, false);
            ok.incrementAndGet();
          } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
              notFound.incrementAndGet();
            } else {
              throw e;
            }
          }
          return null;
        });
      }
      start.countDown();
    }
    assertThat(ok.get() + notFound.get()).isEqualTo(threads);
    assertThat(audit(owner)).filteredOn(r -> r.action().equals("LINK_REDEEM")).hasSize(ok.get());
    return ok.get();
  }

  @Test
  void revokedExpiredUsedUpAndForgedLinksAreNotFound() {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "x");
    var revoked = link(owner, item, 5, false);
    sharing(owner).revokeAccessLink(RevokeAccessLinkRequest.newBuilder().setName(revoked.getAccessLink().getName()).build());
    assertCode(() -> redeem(revoked.getToken(), false), Status.Code.NOT_FOUND);

    var used = link(owner, item, 1, false);
    redeem(used.getToken(), false);
    assertCode(() -> redeem(used.getToken(), false), Status.Code.NOT_FOUND);

    var good = link(owner, item, 5, false);
    String forged = good.getToken().substring(0, good.getToken().length() - 4) + "0000";
    assertCode(() -> redeem(forged, false), Status.Code.NOT_FOUND);
    assertCode(() -> redeem("cairn_lnk_" + "0".repeat(32) + "_" + "0".repeat(64), false), Status.Code.NOT_FOUND);
    assertCode(() -> redeem("cairn_lnk_nonsense", false), Status.Code.NOT_FOUND);
    assertThat(awaitAudit(owner, AccessLinksTest::wrongSecret, 1)).filteredOn(AccessLinksTest::wrongSecret).singleElement()
        .extracting(SharingFixture.AuditRow::outcome).isEqualTo("DENIED");

    var expiring = link(owner, item, 5, false);
    try {
      CairnTestServer.CLOCK.advance(Duration.ofDays(2));
      assertCode(() -> redeem(expiring.getToken(), false), Status.Code.NOT_FOUND);
      assertThat(sharing(owner).listAccessLinks(ListAccessLinksRequest.newBuilder().build()).getAccessLinksList()).isEmpty();
    } finally {
      CairnTestServer.CLOCK.reset();
    }
    var states = sharing(owner).listAccessLinks(ListAccessLinksRequest.newBuilder().setShowInactive(true).build())
        .getAccessLinksList().stream().map(AccessLink::getState).toList();
    assertThat(states).contains(AccessLink.State.STATE_REVOKED, AccessLink.State.STATE_EXHAUSTED);
    // the forged attempt did not consume a use of the good link
    assertThat(redeem(good.getToken(), false).getRemainingUses()).isEqualTo(4);
  }

  private static boolean wrongSecret(SharingFixture.AuditRow r) {
    return r.action().equals("ACCESS_DENIED") && r.actor().equals("anonymous");
  }

  private static UUID linkId(CreateAccessLinkResponse created) {
    return UUID.fromString(created.getAccessLink().getName().substring("accessLinks/".length()));
  }

  /** The NOT_FOUND a redemption ends with: the same whatever the reason. */
  private static Status refusal(String token) {
    try {
      redeem(token, false);
      throw new AssertionError("redeemed " + token);
    } catch (StatusRuntimeException e) {
      assertThat(CairnTestServer.code(e)).isEqualTo(Status.Code.NOT_FOUND);
      return e.getStatus();
    }
  }

  @Test
  void refusedRedemptionsWithTheRightSecretAreAccessDeniedInTheOwnersLog() {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "x");
    UUID doomed = document(owner, "to be deleted");
    var revoked = link(owner, item, 5, false);
    sharing(owner).revokeAccessLink(RevokeAccessLinkRequest.newBuilder().setName(revoked.getAccessLink().getName()).build());
    var used = link(owner, item, 1, false);
    redeem(used.getToken(), false);
    var deleted = link(owner, doomed, 5, false);
    items(owner).deleteItem(DeleteItemRequest.newBuilder().setName("items/" + doomed).build());
    var expired = link(owner, item, 5, false);
    Status unknown = refusal("cairn_lnk_" + "1".repeat(32) + "_" + "0".repeat(64));

    assertThat(refusal(revoked.getToken())).usingRecursiveComparison().isEqualTo(unknown);
    assertThat(refusal(used.getToken())).usingRecursiveComparison().isEqualTo(unknown);
    assertThat(refusal(deleted.getToken())).usingRecursiveComparison().isEqualTo(unknown);
    try {
      CairnTestServer.CLOCK.advance(Duration.ofDays(2));
      assertThat(refusal(expired.getToken())).usingRecursiveComparison().isEqualTo(unknown);
    } finally {
      CairnTestServer.CLOCK.reset();
    }

    var denied = awaitAudit(owner, r -> r.action().equals("ACCESS_DENIED"), 4).stream()
        .filter(r -> r.action().equals("ACCESS_DENIED")).toList();
    assertThat(denied).hasSize(4).allSatisfy(r -> {
      assertThat(r.actor()).isEqualTo("accessLinks/" + r.viaLink());
      assertThat(r.outcome()).isEqualTo("DENIED");
      assertThat(r.details().get("action").getAsString()).isEqualTo("RedeemAccessLink");
    });
    assertThat(denied).extracting(r -> r.viaLink() + " " + r.target() + " " + r.details().get("reason").getAsString())
        .containsExactlyInAnyOrder(
            linkId(revoked) + " items/" + item + " revoked",
            linkId(used) + " items/" + item + " used up",
            linkId(deleted) + " items/" + doomed + " item deleted",
            linkId(expired) + " items/" + item + " expired");
  }

  @Test
  void wrongSecretIsDeniedInTheOwnersLogAndAnUnknownLinkInNobodys() {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "x");
    var good = link(owner, item, 5, false);
    String unknownId = UUID.randomUUID().toString().replace("-", "");
    Status unknown = refusal("cairn_lnk_" + unknownId + "_" + "0".repeat(64));
    Status malformed = refusal("cairn_lnk_nonsense");
    Status wrong = refusal(good.getToken().substring(0, good.getToken().length() - 4) + "0000");
    assertThat(wrong).usingRecursiveComparison().isEqualTo(unknown);
    assertThat(malformed).usingRecursiveComparison().isEqualTo(unknown);

    assertThat(awaitAudit(owner, AccessLinksTest::wrongSecret, 1)).filteredOn(AccessLinksTest::wrongSecret)
        .singleElement().satisfies(r -> {
          assertThat(r.target()).isEqualTo(good.getAccessLink().getName());
          assertThat(r.viaLink()).isEqualTo(linkId(good));
          assertThat(r.details().get("reason").getAsString()).isEqualTo("wrong link secret");
        });
    // no owner is known for an unknown id, so nothing anywhere names it
    String unknownName = "accessLinks/" + UUID.fromString(unknownId.replaceFirst(
        "(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
    assertThat(SharingFixture.auditOn(unknownName)).isEmpty();
    // the guess did not cost the real link a use
    assertThat(redeem(good.getToken(), false).getRemainingUses()).isEqualTo(4);
  }

  @Test
  void linkVersionTheItemDoesNotHaveIsNotFoundNotTruncated() {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "only version 1");
    for (long version : new long[] {4_294_967_297L, 1L << 31, 2, 1L << 32, Long.MAX_VALUE}) {
      assertThatThrownBy(() -> sharing(owner).createAccessLink(CreateAccessLinkRequest.newBuilder()
              .setAccessLink(AccessLink.newBuilder().setItem("items/" + item).setVersion(version)
                  .setExpireTime(in(Duration.ofDays(1))))
              .build()))
          .as("version %d", version)
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(CairnTestServer.code(e)).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(e.getStatus().getDescription()).contains("items/" + item + "/versions/" + version);
          });
    }
    var pinned = sharing(owner).createAccessLink(CreateAccessLinkRequest.newBuilder()
        .setAccessLink(AccessLink.newBuilder().setItem("items/" + item).setVersion(1).setExpireTime(in(Duration.ofDays(1))))
        .build());
    assertThat(pinned.getAccessLink().getVersion()).isEqualTo(1);
    assertThat(sharing(owner).listAccessLinks(ListAccessLinksRequest.newBuilder().setShowInactive(true).build())
        .getAccessLinksList()).singleElement().extracting(AccessLink::getName).isEqualTo(pinned.getAccessLink().getName());
  }

  @Test
  void attestationVerifiesWithThePlainJdk() throws Exception {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "signed content");
    var redeemed = redeem(link(owner, item, 1, false).getToken(), true);
    var att = redeemed.getAttestation();
    var key = anonymous().getAttestationKey(GetAttestationKeyRequest.newBuilder().setKeyId(att.getKeyId()).build()).getKey();
    assertThat(key.getPublicKey().size()).isEqualTo(32);
    assertThat(att.getSignature().size()).isEqualTo(64);

    String pem = key.getPublicKeyPem().replaceAll("-----[A-Z ]+-----|\\s", "");
    PublicKey publicKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(publicKey);
    verifier.update(att.getPayload().toByteArray());
    assertThat(verifier.verify(att.getSignature().toByteArray())).isTrue();

    var payload = JsonParser.parseString(att.getPayload().toStringUtf8()).getAsJsonObject();
    byte[] sha = MessageDigest.getInstance("SHA-256").digest("signed content".getBytes(StandardCharsets.UTF_8));
    assertThat(payload.get("type").getAsString()).isEqualTo("cairn.dev/Attestation/v1");
    assertThat(payload.get("item").getAsString()).isEqualTo("items/" + item);
    assertThat(payload.get("version").getAsInt()).isEqualTo(1);
    assertThat(payload.get("content_sha256").getAsString()).isEqualTo(HexFormat.of().formatHex(sha));
    assertThat(payload.get("owner").getAsString()).isEqualTo(owner.user().getName());
    assertThat(payload.get("access_link").getAsString()).startsWith("accessLinks/");
    assertThat(payload.get("key_id").getAsString()).isEqualTo(key.getKeyId());

    // a tampered payload does not verify
    verifier.initVerify(publicKey);
    verifier.update(att.getPayload().toStringUtf8().replace("\"version\":1", "\"version\":2").getBytes(StandardCharsets.UTF_8));
    assertThat(verifier.verify(att.getSignature().toByteArray())).isFalse();
  }

  @Test
  void requiredAttestationIsAttachedUnasked() {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "x");
    assertThat(redeem(link(owner, item, 1, true).getToken(), false).hasAttestation()).isTrue();
  }

  @Test
  void tooLargeDocumentFailsWithoutConsumingAUse() {
    TestUser owner = SERVER.newUser("owner");
    long inline = SharingFixture.vault().limits().inlineMaxBytes();
    UUID item = document(owner, new byte[(int) inline + 1], java.util.Map.of());
    String token = link(owner, item, 1, false).getToken();
    assertCode(() -> redeem(token, false), Status.Code.FAILED_PRECONDITION);
    assertThat(sharing(owner).listAccessLinks(ListAccessLinksRequest.newBuilder().build()).getAccessLinksList())
        .singleElement().extracting(AccessLink::getUseCount).isEqualTo(0);
  }

  @Test
  void shareHolderLinkDiesWithTheirGrantAndReadHolderCannotCreateOne() {
    TestUser owner = SERVER.newUser("owner");
    TestUser sharer = SERVER.newUser("sharer");
    TestUser reader = SERVER.newUser("reader");
    UUID item = document(owner, "x");
    var share = grant(owner, sharer.user().getName(), item, Role.ROLE_SHARE);
    grant(owner, reader.user().getName(), item, Role.ROLE_READ);
    assertCode(() -> link(reader, item, 1, false), Status.Code.PERMISSION_DENIED);

    var created = link(sharer, item, 5, false);
    assertThat(redeem(created.getToken(), false).getRemainingUses()).isEqualTo(4);
    // the owner sees and may revoke links others made on its items
    assertThat(sharing(owner).listAccessLinks(ListAccessLinksRequest.newBuilder().build()).getAccessLinksList()).hasSize(1);
    sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName(share.getName()).build());
    assertCode(() -> redeem(created.getToken(), false), Status.Code.NOT_FOUND);
  }

  @Test
  void ownerMayRevokeALinkASharerMade() {
    TestUser owner = SERVER.newUser("owner");
    TestUser sharer = SERVER.newUser("sharer");
    UUID item = document(owner, "x");
    grant(owner, sharer.user().getName(), item, Role.ROLE_SHARE);
    var created = link(sharer, item, 5, false);
    var revoked = sharing(owner).revokeAccessLink(
        RevokeAccessLinkRequest.newBuilder().setName(created.getAccessLink().getName()).build()).getAccessLink();
    assertThat(revoked.getState()).isEqualTo(AccessLink.State.STATE_REVOKED);
    assertCode(() -> redeem(created.getToken(), false), Status.Code.NOT_FOUND);
  }

  @Test
  void strangerCannotCreateListOrRevokeLinksOnAnothersItem() {
    TestUser owner = SERVER.newUser("owner");
    TestUser stranger = SERVER.newUser("stranger");
    UUID item = document(owner, "x");
    var created = link(owner, item, 1, false);
    assertCode(() -> link(stranger, item, 1, false), Status.Code.NOT_FOUND);
    assertCode(() -> sharing(stranger).revokeAccessLink(
        RevokeAccessLinkRequest.newBuilder().setName(created.getAccessLink().getName()).build()), Status.Code.NOT_FOUND);
    assertThat(sharing(stranger).listAccessLinks(ListAccessLinksRequest.newBuilder().setShowInactive(true).build())
        .getAccessLinksList()).isEmpty();
    assertThat(sharing(stranger).listAccessLinks(ListAccessLinksRequest.newBuilder().setItem("items/" + item)
        .setShowInactive(true).build()).getAccessLinksList()).isEmpty();
    // and the link still works
    assertThat(redeem(created.getToken(), false).getItem().getContent().toStringUtf8()).isEqualTo("x");
  }

  @Test
  void createAccessLinkIsIdempotentAndTheRetryHasNoToken() {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "x");
    var request = CreateAccessLinkRequest.newBuilder()
        .setAccessLink(AccessLink.newBuilder().setItem("items/" + item).setExpireTime(in(Duration.ofDays(1))))
        .setRequestId(UUID.randomUUID().toString())
        .build();
    var first = sharing(owner).createAccessLink(request);
    var again = sharing(owner).createAccessLink(request);
    assertThat(again.getAccessLink().getName()).isEqualTo(first.getAccessLink().getName());
    assertThat(first.getToken()).isNotEmpty();
    assertThat(again.getToken()).isEmpty();
  }
}
