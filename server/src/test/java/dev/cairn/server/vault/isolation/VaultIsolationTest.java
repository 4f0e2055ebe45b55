package dev.cairn.server.vault.isolation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.AccessLink;
import dev.cairn.vault.v1.AuditServiceGrpc;
import dev.cairn.vault.v1.Collection;
import dev.cairn.vault.v1.Consent;
import dev.cairn.vault.v1.CreateAccessLinkRequest;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.CreateConsentRequest;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.DeleteItemRequest;
import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.GetCollectionRequest;
import dev.cairn.vault.v1.GetConsentReceiptRequest;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemView;
import dev.cairn.vault.v1.ListAccessLinksRequest;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListCollectionsRequest;
import dev.cairn.vault.v1.ListConsentsRequest;
import dev.cairn.vault.v1.ListGrantsRequest;
import dev.cairn.vault.v1.ListItemVersionsRequest;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.QueryRecordsRequest;
import dev.cairn.vault.v1.RedeemAccessLinkRequest;
import dev.cairn.vault.v1.RevokeAccessLinkRequest;
import dev.cairn.vault.v1.RevokeConsentRequest;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.UndeleteItemRequest;
import dev.cairn.vault.v1.UpdateItemRequest;
import dev.cairn.vault.v1.VaultServiceGrpc;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The vault's isolation suite, through real gRPC: for every vault RPC, a stranger, a user whose
 * grant expired, one whose grant was revoked, one whose consent was revoked, and the bearer of a
 * used-up link each get nothing of Alice's data: NOT_FOUND (never a hint that it exists), and
 * nothing of hers in their lists or counts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaultIsolationTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  private TestUser alice;
  private Item document;
  private Item record;
  private Collection collection;
  private String grantToSomeoneElse;
  private String usedUpLink;
  private String aliceLink;
  private String aliceConsent;
  private TestUser consentRecipient;
  private final List<Outsider> outsiders = new ArrayList<>();

  /** Someone who must see nothing; {@code during} wraps each check (e.g. moves the clock). */
  private record Outsider(String why, TestUser user, Consumer<Runnable> during) {}

  private VaultServiceGrpc.VaultServiceBlockingStub vault(TestUser u) {
    return VaultServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(u.token()));
  }

  private SharingServiceGrpc.SharingServiceBlockingStub sharing(TestUser u) {
    return SharingServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(u.token()));
  }

  private AuditServiceGrpc.AuditServiceBlockingStub audit(TestUser u) {
    return AuditServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(u.token()));
  }

  private static Timestamp in(Duration d) {
    Instant t = Instant.now().plus(d);
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private Grant grant(String target, TestUser to, Timestamp expires) {
    var g = Grant.newBuilder().setTarget(target).setGrantee(to.user().getName()).setRole(Role.ROLE_WRITE).setPurpose("isolation test");
    if (expires != null) {
      g.setExpireTime(expires);
    }
    return sharing(alice).createGrant(CreateGrantRequest.newBuilder().setGrant(g).build()).getGrant();
  }

  @BeforeAll
  void aliceSharesAndTakesBack() {
    alice = cairn.newUser("alice");
    document = vault(alice).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT).setDisplayName("diagnosis.txt").setMediaType("text/plain")
        .putLabels("kind", "medical").setContent(ByteString.copyFromUtf8("private"))).build()).getItem();
    collection = vault(alice).createCollection(CreateCollectionRequest.newBuilder().setCollection(Collection.newBuilder()
        .setDisplayName("contacts")
        .setJsonSchema("{\"type\":\"object\",\"x-cairn-queryable\":[\"age\"],\"properties\":{\"age\":{\"type\":\"number\"}}}"))
        .build()).getCollection();
    record = vault(alice).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD).setCollection(collection.getName())
        .setData(Struct.newBuilder().putFields("age", Value.newBuilder().setNumberValue(42).build()))).build()).getItem();

    TestUser stranger = cairn.newUser("stranger");
    outsiders.add(new Outsider("a stranger", stranger, Runnable::run));

    TestUser expired = cairn.newUser("expired");
    grant(document.getName(), expired, in(Duration.ofHours(1)));
    grant(collection.getName(), expired, in(Duration.ofHours(1)));
    outsiders.add(new Outsider("a user whose grants expired", expired, check -> {
      CairnTestServer.CLOCK.advance(Duration.ofHours(2));
      try {
        check.run();
      } finally {
        CairnTestServer.CLOCK.reset();
      }
    }));

    TestUser revoked = cairn.newUser("revoked");
    for (String target : List.of(document.getName(), collection.getName())) {
      String name = grant(target, revoked, null).getName();
      sharing(alice).revokeGrant(RevokeGrantRequest.newBuilder().setName(name).build());
    }
    outsiders.add(new Outsider("a user whose grants were revoked", revoked, Runnable::run));

    TestUser consented = cairn.newUser("consent");
    Consent consent = sharing(alice).createConsent(CreateConsentRequest.newBuilder().setConsent(Consent.newBuilder()
        .setRecipient(consented.user().getName()).setPurpose("second opinion").setRole(Role.ROLE_READ)
        .setItems(Consent.ItemScope.newBuilder().addItems(document.getName()).addItems(record.getName()))
        .setEndTime(in(Duration.ofDays(30)))
        .setAgreement(Consent.Agreement.newBuilder().setAgreed(true).setText("I agree").setTextVersion("1")))
        .build()).getConsent();
    aliceConsent = consent.getName();
    consentRecipient = consented;
    sharing(alice).revokeConsent(RevokeConsentRequest.newBuilder().setName(consent.getName()).build());
    outsiders.add(new Outsider("a user whose consent was revoked", consented, Runnable::run));

    grantToSomeoneElse = grant(document.getName(), cairn.newUser("friend"), null).getName();

    var link = sharing(alice).createAccessLink(CreateAccessLinkRequest.newBuilder().setAccessLink(AccessLink.newBuilder()
        .setItem(document.getName()).setMaxUses(1).setExpireTime(in(Duration.ofDays(1)))).build());
    usedUpLink = link.getToken();
    aliceLink = link.getAccessLink().getName();
    SharingServiceGrpc.newBlockingStub(cairn.channel())
        .redeemAccessLink(RedeemAccessLinkRequest.newBuilder().setToken(usedUpLink).build());
  }

  private static void assertNotFound(String why, String rpc, Runnable call) {
    var e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("%s: %s must fail", why, rpc).isNotNull();
    assertThat(e.getStatus().getCode()).as("%s: %s (%s)", why, rpc, e.getStatus().getDescription())
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void noOutsiderReadsOrChangesAnItemThroughAnyVaultRpc() {
    for (Outsider o : outsiders) {
      var v = vault(o.user());
      o.during().accept(() -> {
        for (Item item : List.of(document, record)) {
          String n = item.getName();
          assertNotFound(o.why(), "GetItem " + n, () -> v.getItem(GetItemRequest.newBuilder().setName(n).build()));
          assertNotFound(o.why(), "GetItem FULL " + n, () -> v.getItem(GetItemRequest.newBuilder().setName(n).setView(ItemView.ITEM_VIEW_FULL).build()));
          assertNotFound(o.why(), "DownloadItem " + n, () -> v.downloadItem(DownloadItemRequest.newBuilder().setName(n).build()).forEachRemaining(r -> {}));
          assertNotFound(o.why(), "ListItemVersions " + n, () -> v.listItemVersions(ListItemVersionsRequest.newBuilder().setParent(n).build()));
          assertNotFound(o.why(), "UpdateItem " + n, () -> v.updateItem(UpdateItemRequest.newBuilder()
              .setItem(Item.newBuilder().setName(n).setDisplayName("pwned"))
              .setUpdateMask(FieldMask.newBuilder().addPaths("display_name")).build()));
          assertNotFound(o.why(), "DeleteItem " + n, () -> v.deleteItem(DeleteItemRequest.newBuilder().setName(n).build()));
          assertNotFound(o.why(), "UndeleteItem " + n, () -> v.undeleteItem(UndeleteItemRequest.newBuilder().setName(n).build()));
        }
      });
    }
  }

  @Test
  void noOutsiderReachesTheCollectionOrItsRecords() {
    for (Outsider o : outsiders) {
      var v = vault(o.user());
      o.during().accept(() -> {
        assertNotFound(o.why(), "GetCollection", () -> v.getCollection(GetCollectionRequest.newBuilder().setName(collection.getName()).build()));
        assertNotFound(o.why(), "QueryRecords", () -> v.queryRecords(QueryRecordsRequest.newBuilder().setParent(collection.getName()).build()));
        assertNotFound(o.why(), "QueryRecords with a filter", () -> v.queryRecords(QueryRecordsRequest.newBuilder()
            .setParent(collection.getName()).setFilter("data.age > 1").build()));
        assertNotFound(o.why(), "CreateItem into the collection", () -> v.createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
            .setKind(Item.Kind.KIND_RECORD).setCollection(collection.getName())
            .setData(Struct.newBuilder().putFields("age", Value.newBuilder().setNumberValue(1).build()))).build()));
      });
    }
  }

  @Test
  void nothingOfAlicesAppearsInAnOutsidersListsOrCounts() {
    for (Outsider o : outsiders) {
      var v = vault(o.user());
      var s = sharing(o.user());
      o.during().accept(() -> {
        for (boolean shared : List.of(false, true)) {
          var items = v.listItems(ListItemsRequest.newBuilder().setSharedWithMe(shared).setShowDeleted(true).build());
          assertThat(items.getItemsList()).as("%s: ListItems shared_with_me=%s", o.why(), shared).isEmpty();
          var collections = v.listCollections(ListCollectionsRequest.newBuilder().setSharedWithMe(shared).build());
          assertThat(collections.getCollectionsList()).as("%s: ListCollections", o.why()).isEmpty();
        }
        assertThat(s.listGrants(ListGrantsRequest.newBuilder().setDirection(ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME).build())
            .getGrantsList()).as("%s: live grants to me", o.why()).isEmpty();
        assertThat(s.listGrants(ListGrantsRequest.newBuilder().build()).getGrantsList()).as("%s: grants by me", o.why()).isEmpty();
        assertThat(s.listAccessLinks(ListAccessLinksRequest.newBuilder().setShowInactive(true).build()).getAccessLinksList())
            .as("%s: links", o.why()).isEmpty();
        assertThat(s.listConsents(ListConsentsRequest.newBuilder().build()).getConsentsList()).as("%s: consents", o.why()).isEmpty();
      });
    }
  }

  @Test
  void noOutsiderSharesRevokesOrReadsAlicesSharingRecords() {
    for (Outsider o : outsiders) {
      var s = sharing(o.user());
      TestUser someone = cairn.newUser("someone");
      o.during().accept(() -> {
        assertNotFound(o.why(), "CreateGrant", () -> s.createGrant(CreateGrantRequest.newBuilder().setGrant(Grant.newBuilder()
            .setTarget(document.getName()).setGrantee(someone.user().getName()).setRole(Role.ROLE_READ).setPurpose("x")).build()));
        assertNotFound(o.why(), "CreateAccessLink", () -> s.createAccessLink(CreateAccessLinkRequest.newBuilder().setAccessLink(
            AccessLink.newBuilder().setItem(document.getName()).setExpireTime(in(Duration.ofDays(1)))).build()));
        assertNotFound(o.why(), "RevokeGrant", () -> s.revokeGrant(RevokeGrantRequest.newBuilder().setName(grantToSomeoneElse).build()));
        assertNotFound(o.why(), "RevokeAccessLink", () -> s.revokeAccessLink(RevokeAccessLinkRequest.newBuilder().setName(aliceLink).build()));
        assertNotFound(o.why(), "ListAccessLinks of the item", () -> {
          var links = s.listAccessLinks(ListAccessLinksRequest.newBuilder().setItem(document.getName()).build());
          if (links.getAccessLinksCount() == 0) {
            throw Status.NOT_FOUND.asRuntimeException();
          }
        });
        var receipt = GetConsentReceiptRequest.newBuilder().setName(aliceConsent).build();
        if (o.user() == consentRecipient) {
          // the recipient keeps their copy of the receipt, and it says the consent is revoked
          assertThat(s.getConsentReceipt(receipt).getReceipt().hasRevokeTime()).as("receipt shows the revocation").isTrue();
        } else {
          assertNotFound(o.why(), "GetConsentReceipt", () -> s.getConsentReceipt(receipt));
        }
      });
    }
  }

  @Test
  void noOutsiderReadsAlicesAuditLog() {
    for (Outsider o : outsiders) {
      var a = audit(o.user());
      o.during().accept(() -> {
        assertNotFound(o.why(), "ListAuditEvents", () -> a.listAuditEvents(ListAuditEventsRequest.newBuilder().setParent(alice.user().getName()).build()));
        assertNotFound(o.why(), "VerifyAuditLog", () -> a.verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent(alice.user().getName()).build()));
        var own = a.listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me").build());
        assertThat(own.getAuditEventsList()).as("%s: own log", o.why())
            .noneMatch(e -> e.getTarget().equals(document.getName()) && !e.getAction().name().contains("DENIED"));
      });
    }
  }

  @Test
  void aUsedUpLinkGivesNothing() {
    assertNotFound("the bearer of a used-up link", "RedeemAccessLink", () -> SharingServiceGrpc.newBlockingStub(cairn.channel())
        .redeemAccessLink(RedeemAccessLinkRequest.newBuilder().setToken(usedUpLink).build()));
  }

  @Test
  void theOwnerStillSeesEverything() {
    var v = vault(alice);
    assertThat(v.getItem(GetItemRequest.newBuilder().setName(document.getName()).setView(ItemView.ITEM_VIEW_FULL).build())
        .getItem().getContent().toStringUtf8()).isEqualTo("private");
    assertThat(v.queryRecords(QueryRecordsRequest.newBuilder().setParent(collection.getName()).setFilter("data.age = 42").build())
        .getRecordsCount()).isEqualTo(1);
  }
}
