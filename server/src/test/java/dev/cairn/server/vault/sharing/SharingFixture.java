package dev.cairn.server.vault.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.vault.v1.AccessLink;
import dev.cairn.vault.v1.CreateAccessLinkRequest;
import dev.cairn.vault.v1.CreateAccessLinkResponse;
import dev.cairn.vault.v1.CreateConsentRequest;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.RedeemAccessLinkRequest;
import dev.cairn.vault.v1.RedeemAccessLinkResponse;
import dev.cairn.vault.v1.Role;
import io.grpc.StatusRuntimeException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import dev.cairn.server.core.Caller;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.UploadItemMetadata;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import dev.cairn.vault.v1.SharingServiceGrpc.SharingServiceBlockingStub;
import dev.cairn.vault.v1.VaultServiceGrpc;
import dev.cairn.vault.v1.VaultServiceGrpc.VaultServiceBlockingStub;
import io.grpc.Status;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Test helpers for sharing: items made through the items RPCs, access checks through
 * VaultAccess as a given user, and audit rows read as the database superuser.
 */
public final class SharingFixture {
  public static final CairnTestServer SERVER = CairnTestServer.get();

  private SharingFixture() {}

  public static VaultContext vault() {
    return SERVER.server().vault();
  }

  public static SharingServiceBlockingStub sharing(TestUser user) {
    return SharingServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  public static VaultServiceBlockingStub items(TestUser user) {
    return VaultServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  public static SharingServiceBlockingStub anonymous() {
    return SharingServiceGrpc.newBlockingStub(SERVER.channel());
  }

  public static UUID id(TestUser user) {
    return UUID.fromString(user.id());
  }

  /**
   * A document owned by {@code owner}, version 1 with {@code content}: made through CreateItem,
   * or UploadItem when it is larger than CreateItem takes inline.
   */
  public static UUID document(TestUser owner, byte[] content, Map<String, String> labels) {
    Item item = Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT)
        .setDisplayName("doc")
        .setMediaType("text/plain")
        .putAllLabels(labels)
        .build();
    Item created = content.length > vault().limits().inlineMaxBytes()
        ? upload(owner, item, content)
        : items(owner).createItem(CreateItemRequest.newBuilder()
            .setItem(item.toBuilder().setContent(ByteString.copyFrom(content))).build()).getItem();
    return UUID.fromString(created.getName().substring("items/".length()));
  }

  private static Item upload(TestUser owner, Item item, byte[] content) {
    var done = new java.util.concurrent.CompletableFuture<Item>();
    var requests = VaultServiceGrpc.newStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(owner.token()))
        .uploadItem(new io.grpc.stub.StreamObserver<UploadItemResponse>() {
          @Override
          public void onNext(UploadItemResponse response) {
            done.complete(response.getItem());
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(UploadItemRequest.newBuilder().setMetadata(UploadItemMetadata.newBuilder().setItem(item)).build());
    for (int at = 0; at < content.length; at += 1024 * 1024) {
      requests.onNext(UploadItemRequest.newBuilder()
          .setChunk(ByteString.copyFrom(content, at, Math.min(1024 * 1024, content.length - at))).build());
    }
    requests.onCompleted();
    try {
      return done.get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("UploadItem failed", e);
    }
  }

  public static UUID document(TestUser owner, String content) {
    return document(owner, content.getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
  }

  /**
   * Whether {@code user} may act on the item at {@code role} right now, by the vault's one
   * authorisation rule (and RLS underneath); the consent id it would be audited with, if any.
   */
  public static Access access(TestUser user, UUID item, VaultAccess.Role role) {
    Principal p = Principal.system(id(user));
    try {
      return vault().database().transaction(p, sql -> {
        var a = vault().access().item(sql, Caller.of(p), item, role, false, false);
        return new Access(true, a.grantId(), a.consentId());
      });
    } catch (CairnException e) {
      if (e.kind() == CairnException.Kind.NOT_FOUND) {
        return new Access(false, null, null);
      }
      throw e;
    }
  }

  public record Access(boolean allowed, UUID grantId, UUID consentId) {}

  /** One audit row, as the superuser reads it. */
  public record AuditRow(
      String actor, String action, String target, UUID viaGrant, UUID viaLink, UUID viaConsent, String outcome,
      JsonObject details) {}

  public static List<AuditRow> audit(TestUser owner) {
    return auditWhere("owner_id = ?", id(owner));
  }

  /** Audit rows on {@code target} in anyone's chain. */
  public static List<AuditRow> auditOn(String target) {
    return auditWhere("target = ?", target);
  }

  /**
   * The owner's audit rows once at least {@code count} match {@code filter} (refusals are
   * recorded in the background, after the caller has its answer), or after 10 s.
   */
  public static List<AuditRow> awaitAudit(TestUser owner, Predicate<AuditRow> filter, int count) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    List<AuditRow> rows = audit(owner);
    while (rows.stream().filter(filter).count() < count && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      rows = audit(owner);
    }
    return rows;
  }

  private static List<AuditRow> auditWhere(String where, Object value) {
    CairnTestServer.get().chainAudit(); // what was recorded so far, linked into the chains
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var s = c.prepareStatement(
            "SELECT actor, action, target, via_grant, via_link, via_consent, outcome, details::text"
                + " FROM cairn.audit_events WHERE " + where + " ORDER BY owner_id, seq")) {
      s.setObject(1, value);
      var rows = new ArrayList<AuditRow>();
      try (var rs = s.executeQuery()) {
        while (rs.next()) {
          rows.add(new AuditRow(rs.getString(1), rs.getString(2), rs.getString(3),
              rs.getObject(4, UUID.class), rs.getObject(5, UUID.class), rs.getObject(6, UUID.class), rs.getString(7),
              JsonParser.parseString(rs.getString(8)).getAsJsonObject()));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Timestamp in(Duration d) {
    Instant t = Instant.now().plus(d);
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  // ---------------------------------------------------------------- calls the tests share

  public static Grant grant(TestUser grantor, String grantee, UUID item, Role role) {
    return sharing(grantor)
        .createGrant(CreateGrantRequest.newBuilder()
            .setGrant(Grant.newBuilder().setGrantee(grantee).setTarget("items/" + item).setRole(role).setPurpose("test"))
            .build())
        .getGrant();
  }

  public static void assertCode(ThrowingCallable call, Status.Code code) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(CairnTestServer.code(e)).isEqualTo(code));
  }

  public static CreateAccessLinkResponse link(TestUser creator, UUID item, int maxUses, boolean attest) {
    return sharing(creator).createAccessLink(CreateAccessLinkRequest.newBuilder()
        .setAccessLink(AccessLink.newBuilder().setItem("items/" + item).setMaxUses(maxUses)
            .setRequireAttestation(attest).setPurpose("landlord").setExpireTime(in(Duration.ofDays(1))))
        .build());
  }

  public static RedeemAccessLinkResponse redeem(String token, boolean attest) {
    return anonymous().redeemAccessLink(RedeemAccessLinkRequest.newBuilder().setToken(token).setAttest(attest).build());
  }

  public static dev.cairn.vault.v1.Consent.Builder consent(TestUser recipient) {
    return dev.cairn.vault.v1.Consent.newBuilder()
        .setRecipient(recipient.user().getName())
        .setPurpose("assess my mortgage application")
        .addPurposeCategories("Contracting")
        .addPiiCategories("Financial")
        .setRole(Role.ROLE_READ)
        .setEndTime(in(Duration.ofDays(30)))
        .setAgreement(dev.cairn.vault.v1.Consent.Agreement.newBuilder().setAgreed(true).setText("I agree to share")
            .setTextVersion("v3").setCollectionMethod("cairn CLI"))
        .setJurisdiction("NO")
        .setPolicyUrl("https://example.com/privacy")
        .setSensitive(true)
        .addSensitiveCategories("Financial");
  }

  public static dev.cairn.vault.v1.Consent create(TestUser owner, dev.cairn.vault.v1.Consent.Builder consent) {
    return sharing(owner).createConsent(CreateConsentRequest.newBuilder().setConsent(consent).build()).getConsent();
  }
}
