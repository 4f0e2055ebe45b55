package dev.cairn.server.vault.sharing.consents;

import static dev.cairn.server.vault.sharing.SharingFixture.create;
import static dev.cairn.server.vault.sharing.SharingFixture.consent;
import static dev.cairn.server.vault.sharing.SharingFixture.assertCode;
import static dev.cairn.server.vault.sharing.SharingFixture.SERVER;
import static dev.cairn.server.vault.sharing.SharingFixture.access;
import static dev.cairn.server.vault.sharing.SharingFixture.anonymous;
import static dev.cairn.server.vault.sharing.SharingFixture.audit;
import static dev.cairn.server.vault.sharing.SharingFixture.document;
import static dev.cairn.server.vault.sharing.SharingFixture.in;
import static dev.cairn.server.vault.sharing.SharingFixture.sharing;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import dev.cairn.server.vault.sharing.SharingFixture;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.vault.v1.Consent;
import dev.cairn.vault.v1.CreateConsentRequest;
import dev.cairn.vault.v1.GetAttestationKeyRequest;
import dev.cairn.vault.v1.GetConsentReceiptRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.ListConsentsRequest;
import dev.cairn.vault.v1.ListGrantsRequest;
import dev.cairn.vault.v1.RevokeConsentRequest;
import dev.cairn.vault.v1.Role;
import io.grpc.Status;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ConsentsTest {

  @Test
  void consentCreatesGrantsAndRevokingItRemovesAccessAtOnce() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bank = SERVER.newUser("bank");
    UUID a = document(owner, "payslip");
    UUID b = document(owner, "tax return");
    UUID other = document(owner, "diary");
    Consent c = create(owner, consent(bank).setItems(Consent.ItemScope.newBuilder().addItems("items/" + a).addItems("items/" + b)));
    assertThat(c.getState()).isEqualTo(Consent.State.STATE_ACTIVE);
    assertThat(c.getGrantsList()).hasSize(2);
    UUID consentId = UUID.fromString(c.getName().substring("consents/".length()));

    var viaA = access(bank, a, VaultAccess.Role.READ);
    assertThat(viaA.allowed()).isTrue();
    assertThat(viaA.consentId()).isEqualTo(consentId); // the items code audits accesses with it
    assertThat(access(bank, b, VaultAccess.Role.READ).allowed()).isTrue();
    assertThat(access(bank, other, VaultAccess.Role.READ).allowed()).isFalse();

    var grants = sharing(bank).listGrants(ListGrantsRequest.newBuilder()
        .setDirection(ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME).setConsent(c.getName()).build()).getGrantsList();
    assertThat(grants).hasSize(2).allSatisfy(g -> assertThat(g.getConsent()).isEqualTo(c.getName()));

    // the recipient sees it, but only the owner may revoke
    assertThat(sharing(bank).listConsents(ListConsentsRequest.newBuilder()
        .setDirection(ListConsentsRequest.Direction.DIRECTION_GIVEN_TO_ME).build()).getConsentsList())
        .extracting(Consent::getName).containsExactly(c.getName());
    assertCode(() -> sharing(bank).revokeConsent(RevokeConsentRequest.newBuilder().setName(c.getName()).build()),
        Status.Code.PERMISSION_DENIED);

    Consent revoked = sharing(owner).revokeConsent(RevokeConsentRequest.newBuilder().setName(c.getName()).build()).getConsent();
    assertThat(revoked.getState()).isEqualTo(Consent.State.STATE_REVOKED);
    assertThat(access(bank, a, VaultAccess.Role.READ).allowed()).isFalse();
    assertThat(access(bank, b, VaultAccess.Role.READ).allowed()).isFalse();
    assertThat(sharing(owner).listGrants(ListGrantsRequest.newBuilder().setConsent(c.getName()).setShowInactive(true).build())
        .getGrantsList()).hasSize(2).allSatisfy(g -> assertThat(g.getState()).isEqualTo(Grant.State.STATE_REVOKED));

    var log = audit(owner);
    assertThat(log).extracting(SharingFixture.AuditRow::action)
        .containsSubsequence("CONSENT_CREATE", "GRANT_REVOKE", "GRANT_REVOKE", "CONSENT_REVOKE");
    assertThat(log).filteredOn(r -> r.action().startsWith("CONSENT_"))
        .allSatisfy(r -> assertThat(r.viaConsent()).isEqualTo(consentId));
  }

  @Test
  void labelScopeCoversItemsCarryingTheLabelsAtCreation() {
    TestUser owner = SERVER.newUser("owner");
    TestUser doctor = SERVER.newUser("doctor");
    UUID tagged = document(owner, "x-ray".getBytes(), Map.of("kind", "health", "year", "2024"));
    UUID partly = document(owner, "flu".getBytes(), Map.of("kind", "health"));
    Consent c = create(owner, consent(doctor).setLabels(Consent.LabelScope.newBuilder().putLabels("kind", "health").putLabels("year", "2024")));
    assertThat(c.getGrantsList()).hasSize(1);
    assertThat(access(doctor, tagged, VaultAccess.Role.READ).allowed()).isTrue();
    assertThat(access(doctor, partly, VaultAccess.Role.READ).allowed()).isFalse();
  }

  @Test
  void pendingConsentGivesNothingUntilItStarts() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bank = SERVER.newUser("bank");
    UUID a = document(owner, "x");
    Consent c = create(owner, consent(bank).setStartTime(in(Duration.ofDays(1)))
        .setItems(Consent.ItemScope.newBuilder().addItems("items/" + a)));
    assertThat(c.getState()).isEqualTo(Consent.State.STATE_PENDING);
    assertThat(access(bank, a, VaultAccess.Role.READ).allowed()).isFalse();
  }

  @Test
  void receiptCarriesKantaraFieldsAndASignatureTheJdkVerifies() throws Exception {
    TestUser owner = SERVER.newUser("owner");
    TestUser bank = SERVER.newUser("bank");
    UUID a = document(owner, "x");
    Consent c = create(owner, consent(bank).setItems(Consent.ItemScope.newBuilder().addItems("items/" + a)));
    var response = sharing(bank).getConsentReceipt(GetConsentReceiptRequest.newBuilder().setName(c.getName()).build());
    var r = response.getReceipt();
    assertThat(r.getVersion()).isEqualTo("KI-CR-v1.1.0");
    assertThat(r.getJurisdiction()).isEqualTo("NO");
    assertThat(r.hasConsentTimestamp()).isTrue();
    assertThat(r.getCollectionMethod()).isEqualTo("cairn CLI");
    assertThat(r.getConsentReceiptId()).isEqualTo(c.getName().substring("consents/".length()));
    assertThat(r.getPiiPrincipalId()).isEqualTo(owner.user().getName());
    assertThat(r.getPiiControllersList()).isNotEmpty();
    assertThat(r.getPolicyUrl()).isEqualTo("https://example.com/privacy");
    assertThat(r.getServices(0).getPurposes(0).getPurpose()).isEqualTo("assess my mortgage application");
    assertThat(r.getServices(0).getPurposes(0).getThirdPartyName()).contains(bank.user().getName());
    assertThat(r.getSensitive()).isTrue();
    assertThat(r.getSpiCategoriesList()).containsExactly("Financial");
    assertThat(r.getScopeList()).containsExactly("items/" + a);

    var json = JsonParser.parseString(response.getReceiptJson().toStringUtf8()).getAsJsonObject();
    for (String field : new String[] {"version", "jurisdiction", "consentTimestamp", "collectionMethod",
        "consentReceiptID", "piiPrincipalId", "piiControllers", "policyUrl", "services", "sensitive", "spiCat"}) {
      assertThat(json.has(field)).as(field).isTrue();
    }
    var key = anonymous().getAttestationKey(GetAttestationKeyRequest.newBuilder().setKeyId(response.getKeyId()).build()).getKey();
    String pem = key.getPublicKeyPem().replaceAll("-----[A-Z ]+-----|\\s", "");
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem))));
    verifier.update(response.getReceiptJson().toByteArray());
    assertThat(verifier.verify(response.getSignature().toByteArray())).isTrue();
  }

  @Test
  void receiptMessageSaysWhatItsSignedJsonSays() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bank = SERVER.newUser("bank");
    UUID a = document(owner, "x");
    Consent c = create(owner, consent(bank).setItems(Consent.ItemScope.newBuilder().addItems("items/" + a)));
    sharing(owner).revokeConsent(dev.cairn.vault.v1.RevokeConsentRequest.newBuilder().setName(c.getName()).build());
    var response = sharing(owner).getConsentReceipt(GetConsentReceiptRequest.newBuilder().setName(c.getName()).build());
    var r = response.getReceipt();
    var json = JsonParser.parseString(response.getReceiptJson().toStringUtf8()).getAsJsonObject();

    assertThat(json.get("version").getAsString()).isEqualTo(r.getVersion());
    assertThat(json.get("jurisdiction").getAsString()).isEqualTo(r.getJurisdiction());
    assertThat(json.get("consentTimestamp").getAsLong()).isEqualTo(r.getConsentTimestamp().getSeconds());
    assertThat(json.get("collectionMethod").getAsString()).isEqualTo(r.getCollectionMethod());
    assertThat(json.get("consentReceiptID").getAsString()).isEqualTo(r.getConsentReceiptId());
    assertThat(json.get("language").getAsString()).isEqualTo(r.getLanguage());
    assertThat(json.get("piiPrincipalId").getAsString()).isEqualTo(r.getPiiPrincipalId());
    var controller = json.getAsJsonArray("piiControllers").get(0).getAsJsonObject();
    assertThat(json.getAsJsonArray("piiControllers").size()).isEqualTo(r.getPiiControllersCount());
    assertThat(controller.get("piiController").getAsString()).isEqualTo(r.getPiiControllers(0).getPiiController());
    assertThat(controller.get("contact").getAsString()).isEqualTo(r.getPiiControllers(0).getContact());
    assertThat(controller.get("email").getAsString()).isEqualTo(r.getPiiControllers(0).getEmail());
    assertThat(controller.get("piiControllerUrl").getAsString()).isEqualTo(r.getPiiControllers(0).getPiiControllerUrl());
    assertThat(controller.get("onBehalf").getAsBoolean()).isEqualTo(r.getPiiControllers(0).getOnBehalf());
    assertThat(json.get("policyUrl").getAsString()).isEqualTo(r.getPolicyUrl());
    var service = json.getAsJsonArray("services").get(0).getAsJsonObject();
    assertThat(service.get("service").getAsString()).isEqualTo(r.getServices(0).getService());
    var purpose = service.getAsJsonArray("purposes").get(0).getAsJsonObject();
    var p = r.getServices(0).getPurposes(0);
    assertThat(purpose.get("purpose").getAsString()).isEqualTo(p.getPurpose());
    assertThat(strings(purpose.getAsJsonArray("purposeCategory"))).isEqualTo(p.getPurposeCategoriesList());
    assertThat(purpose.get("consentType").getAsString()).isEqualTo(p.getConsentType());
    assertThat(strings(purpose.getAsJsonArray("piiCategory"))).isEqualTo(p.getPiiCategoriesList());
    assertThat(purpose.get("primaryPurpose").getAsBoolean()).isEqualTo(p.getPrimaryPurpose());
    assertThat(purpose.get("termination").getAsString()).isEqualTo(p.getTermination());
    assertThat(purpose.get("thirdPartyDisclosure").getAsBoolean()).isEqualTo(p.getThirdPartyDisclosure());
    assertThat(purpose.get("thirdPartyName").getAsString()).isEqualTo(p.getThirdPartyName());
    assertThat(json.get("sensitive").getAsBoolean()).isEqualTo(r.getSensitive());
    assertThat(strings(json.getAsJsonArray("spiCat"))).isEqualTo(r.getSpiCategoriesList());
    var cairn = json.getAsJsonObject("cairn");
    assertThat(cairn.get("consent").getAsString()).isEqualTo(r.getConsent());
    assertThat(cairn.get("recipient").getAsString()).isEqualTo(r.getRecipient());
    assertThat("ROLE_" + cairn.get("role").getAsString()).isEqualTo(r.getRole().name());
    assertThat(strings(cairn.getAsJsonArray("scope"))).isEqualTo(r.getScopeList());
    assertThat(java.time.Instant.parse(cairn.get("startTime").getAsString())).isEqualTo(instant(r.getStartTime()));
    assertThat(java.time.Instant.parse(cairn.get("endTime").getAsString())).isEqualTo(instant(r.getEndTime()));
    assertThat(java.time.Instant.parse(cairn.get("revokeTime").getAsString())).isEqualTo(instant(r.getRevokeTime()));
    assertThat(cairn.get("agreementTextVersion").getAsString()).isEqualTo(r.getAgreementTextVersion());
    assertThat(cairn.get("agreementTextSha256").getAsString())
        .isEqualTo(java.util.HexFormat.of().formatHex(r.getAgreementTextSha256().toByteArray()));
  }

  private static java.util.List<String> strings(com.google.gson.JsonArray array) {
    var out = new java.util.ArrayList<String>();
    array.forEach(e -> out.add(e.getAsString()));
    return out;
  }

  private static java.time.Instant instant(com.google.protobuf.Timestamp t) {
    return java.time.Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  @Test
  void consentOnItemsNotOwnedIsNotFoundAndStrangersSeeNothing() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bank = SERVER.newUser("bank");
    TestUser stranger = SERVER.newUser("stranger");
    UUID a = document(owner, "x");
    Consent c = create(owner, consent(bank).setItems(Consent.ItemScope.newBuilder().addItems("items/" + a)));

    assertCode(() -> create(stranger, consent(bank).setItems(Consent.ItemScope.newBuilder().addItems("items/" + a))),
        Status.Code.NOT_FOUND);
    assertCode(() -> sharing(stranger).revokeConsent(RevokeConsentRequest.newBuilder().setName(c.getName()).build()),
        Status.Code.NOT_FOUND);
    assertCode(() -> sharing(stranger).getConsentReceipt(GetConsentReceiptRequest.newBuilder().setName(c.getName()).build()),
        Status.Code.NOT_FOUND);
    for (var d : new ListConsentsRequest.Direction[] {ListConsentsRequest.Direction.DIRECTION_GIVEN_BY_ME,
        ListConsentsRequest.Direction.DIRECTION_GIVEN_TO_ME}) {
      assertThat(sharing(stranger).listConsents(ListConsentsRequest.newBuilder().setDirection(d).setShowInactive(true).build())
          .getConsentsList()).isEmpty();
    }
    assertThat(sharing(stranger).listGrants(ListGrantsRequest.newBuilder().setConsent(c.getName()).setShowInactive(true).build())
        .getGrantsList()).isEmpty();
  }

  @Test
  void createConsentIsIdempotentWithRequestId() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bank = SERVER.newUser("bank");
    UUID a = document(owner, "x");
    var request = CreateConsentRequest.newBuilder()
        .setConsent(consent(bank).setItems(Consent.ItemScope.newBuilder().addItems("items/" + a)))
        .setRequestId(UUID.randomUUID().toString())
        .build();
    var first = sharing(owner).createConsent(request).getConsent();
    var again = sharing(owner).createConsent(request).getConsent();
    assertThat(again.getName()).isEqualTo(first.getName());
    assertThat(again.getGrantsList()).isEqualTo(first.getGrantsList());
  }
}
