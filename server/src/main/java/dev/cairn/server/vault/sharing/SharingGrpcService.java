package dev.cairn.server.vault.sharing;

import dev.cairn.server.core.ResourceNames;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.crypto.Signer;
import dev.cairn.server.grpc.CallContext;
import dev.cairn.server.grpc.ProtoTime;
import dev.cairn.server.audit.AccessDenials;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.vault.RecordJson;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.vault.sharing.Sharing.Target;
import dev.cairn.server.vault.sharing.consents.ConsentService;
import dev.cairn.server.vault.sharing.consents.Consents;
import dev.cairn.server.vault.sharing.consents.Consents.Agreement;
import dev.cairn.server.vault.sharing.consents.Consents.ConsentDraft;
import dev.cairn.server.vault.sharing.consents.Consents.ScopeKind;
import dev.cairn.server.vault.sharing.consents.KantaraReceipt;
import dev.cairn.server.vault.sharing.grants.GrantService;
import dev.cairn.server.vault.sharing.grants.Grants;
import dev.cairn.server.vault.sharing.grants.Grants.GrantFilter;
import dev.cairn.server.vault.sharing.links.AccessLinkCascade;
import dev.cairn.server.vault.sharing.links.AccessLinkService;
import dev.cairn.server.vault.sharing.links.Links;
import java.util.List;
import dev.cairn.vault.v1.AccessLink;
import dev.cairn.vault.v1.Attestation;
import dev.cairn.vault.v1.AttestationKey;
import dev.cairn.vault.v1.Consent;
import dev.cairn.vault.v1.ConsentReceipt;
import dev.cairn.vault.v1.CreateAccessLinkRequest;
import dev.cairn.vault.v1.CreateAccessLinkResponse;
import dev.cairn.vault.v1.CreateConsentRequest;
import dev.cairn.vault.v1.CreateConsentResponse;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateGrantResponse;
import dev.cairn.vault.v1.GetAttestationKeyRequest;
import dev.cairn.vault.v1.GetAttestationKeyResponse;
import dev.cairn.vault.v1.GetConsentReceiptRequest;
import dev.cairn.vault.v1.GetConsentReceiptResponse;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListAccessLinksRequest;
import dev.cairn.vault.v1.ListAccessLinksResponse;
import dev.cairn.vault.v1.ListConsentsRequest;
import dev.cairn.vault.v1.ListConsentsResponse;
import dev.cairn.vault.v1.ListGrantsRequest;
import dev.cairn.vault.v1.ListGrantsResponse;
import dev.cairn.vault.v1.RedeemAccessLinkRequest;
import dev.cairn.vault.v1.RedeemAccessLinkResponse;
import dev.cairn.vault.v1.RevokeAccessLinkRequest;
import dev.cairn.vault.v1.RevokeAccessLinkResponse;
import dev.cairn.vault.v1.RevokeConsentRequest;
import dev.cairn.vault.v1.RevokeConsentResponse;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.RevokeGrantResponse;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** {@code cairn.vault.v1.SharingService}: grants, access links, consent, attestation key. */
public final class SharingGrpcService extends SharingServiceGrpc.SharingServiceImplBase {
  private final VaultContext vault;
  private final GrantService grants;
  private final AccessLinkService links;
  private final ConsentService consents;
  private final Signer signer;

  public SharingGrpcService(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
    var shared = new SharingRepository();
    this.signer = new Signer(vault.attestationKey());
    // links hang off grants through the cascade; consents build on grants; neither knows the other
    this.grants = new GrantService(vault, shared, List.of(new AccessLinkCascade()));
    this.links = new AccessLinkService(vault, grants, vault.contentStore(), signer, new AccessDenials(vault.database(), vault.audit()));
    this.consents = new ConsentService(vault, shared, grants, signer);
  }

  // ------------------------------------------------------------------ grants

  @Override
  public void createGrant(CreateGrantRequest request, StreamObserver<CreateGrantResponse> response) {
    Grant g = request.getGrant();
    var grant =
        grants.create(
            CallContext.principal(),
            g.getGrantee(),
            Target.parse(g.getTarget()),
            role(g.getRole(), "grant.role"),
            g.getPurpose(),
            g.hasExpireTime() ? ProtoTime.offsetDateTime(g.getExpireTime()) : null,
            ResourceNames.requestId(request.getRequestId()),
            CallContext.requestId());
    response.onNext(CreateGrantResponse.newBuilder().setGrant(toProto(grant)).build());
    response.onCompleted();
  }

  @Override
  public void listGrants(ListGrantsRequest request, StreamObserver<ListGrantsResponse> response) {
    var filter =
        new GrantFilter(
            request.getDirection() == ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME,
            request.getTarget().isEmpty() ? null : Target.parseOrNull(request.getTarget()),
            request.getUser().isEmpty() ? null : request.getUser(),
            request.getConsent().isEmpty() ? null : ResourceNames.idOf(request.getConsent()),
            request.getShowInactive());
    var out = ListGrantsResponse.newBuilder();
    if (filter.target() != null || request.getTarget().isEmpty()) {
      var page = grants.list(CallContext.principal(), filter, request.getPageSize(), request.getPageToken());
      page.grants().forEach(g -> out.addGrants(
          toProto(g).toBuilder().setGranteeUsername(page.granteeUsernames().getOrDefault(g.granteeId(), ""))));
      out.setNextPageToken(page.nextPageToken());
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void revokeGrant(RevokeGrantRequest request, StreamObserver<RevokeGrantResponse> response) {
    var grant = grants.revoke(CallContext.principal(), request.getName(), CallContext.requestId());
    response.onNext(RevokeGrantResponse.newBuilder().setGrant(toProto(grant)).build());
    response.onCompleted();
  }

  // ------------------------------------------------------------------ access links

  @Override
  public void createAccessLink(CreateAccessLinkRequest request, StreamObserver<CreateAccessLinkResponse> response) {
    AccessLink l = request.getAccessLink();
    var created =
        links.create(
            CallContext.principal(),
            ResourceNames.idOf(l.getItem()),
            l.getVersion(),
            l.getPurpose(),
            l.getMaxUses(),
            ProtoTime.offsetDateTime(l.getExpireTime()),
            l.getRequireAttestation(),
            ResourceNames.requestId(request.getRequestId()),
            CallContext.requestId());
    response.onNext(
        CreateAccessLinkResponse.newBuilder()
            .setAccessLink(toProto(created.link()))
            .setToken(created.token())
            .build());
    response.onCompleted();
  }

  @Override
  public void listAccessLinks(ListAccessLinksRequest request, StreamObserver<ListAccessLinksResponse> response) {
    var out = ListAccessLinksResponse.newBuilder();
    UUID item = request.getItem().isEmpty() ? null : ResourceNames.uuid(request.getItem().substring("items/".length())).orElse(null);
    if (item != null || request.getItem().isEmpty()) {
      var page =
          links.list(CallContext.principal(), item, request.getShowInactive(), request.getPageSize(), request.getPageToken());
      page.links().forEach(l -> out.addAccessLinks(toProto(l)));
      out.setNextPageToken(page.nextPageToken());
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void revokeAccessLink(RevokeAccessLinkRequest request, StreamObserver<RevokeAccessLinkResponse> response) {
    var link = links.revoke(CallContext.principal(), request.getName(), CallContext.requestId());
    response.onNext(RevokeAccessLinkResponse.newBuilder().setAccessLink(toProto(link)).build());
    response.onCompleted();
  }

  @Override
  public void redeemAccessLink(RedeemAccessLinkRequest request, StreamObserver<RedeemAccessLinkResponse> response) {
    var redemption = links.redeem(request.getToken(), request.getAttest(), CallContext.requestId());
    var out =
        RedeemAccessLinkResponse.newBuilder()
            .setItem(toProto(redemption.item()))
            .setRemainingUses(redemption.remainingUses());
    if (redemption.attestation() != null && redemption.facts() != null) {
      var f = redemption.facts();
      var s = redemption.attestation();
      out.setAttestation(
          Attestation.newBuilder()
              .setItem(f.item())
              .setVersion(f.version())
              .setContentSha256(ByteString.copyFrom(f.contentSha256()))
              .setOwner(f.owner())
              .setIssueTime(ProtoTime.timestamp(f.issueTime()))
              .setAccessLink(f.accessLink())
              .setKeyId(s.keyId())
              .setPayload(ByteString.copyFrom(s.payload()))
              .setSignature(ByteString.copyFrom(s.signature())));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void getAttestationKey(GetAttestationKeyRequest request, StreamObserver<GetAttestationKeyResponse> response) {
    if (!request.getKeyId().isEmpty() && !request.getKeyId().equals(signer.keyId())) {
      throw CairnException.notFound("attestation key " + request.getKeyId());
    }
    var key =
        AttestationKey.newBuilder()
            .setKeyId(signer.keyId())
            .setAlgorithm(AttestationKey.Algorithm.ALGORITHM_ED25519)
            .setPublicKeyPem(signer.publicKeyPem())
            .setPublicKey(ByteString.copyFrom(signer.publicKey()));
    response.onNext(GetAttestationKeyResponse.newBuilder().setKey(key).build());
    response.onCompleted();
  }

  // ------------------------------------------------------------------ consents

  @Override
  public void createConsent(CreateConsentRequest request, StreamObserver<CreateConsentResponse> response) {
    Consent c = request.getConsent();
    ScopeKind kind =
        switch (c.getScopeCase()) {
          case ITEMS -> ScopeKind.ITEMS;
          case COLLECTION -> ScopeKind.COLLECTION;
          case LABELS -> ScopeKind.LABELS;
          default -> throw CairnException.invalidField("consent.scope", "missing (expected: items, collection or labels)");
        };
    var draft =
        new ConsentDraft(
            c.getRecipient(),
            c.getPurpose(),
            c.getPurposeCategoriesList(),
            c.getPiiCategoriesList(),
            kind,
            c.getItems().getItemsList().stream().map(ResourceNames::idOf).toList(),
            kind == ScopeKind.COLLECTION ? ResourceNames.idOf(c.getCollection()) : null,
            c.getLabels().getLabelsMap(),
            role(c.getRole(), "consent.role"),
            c.hasStartTime() ? ProtoTime.offsetDateTime(c.getStartTime()) : null,
            ProtoTime.offsetDateTime(c.getEndTime()),
            new Agreement(
                c.getAgreement().getText(),
                c.getAgreement().getTextVersion(),
                c.getAgreement().getCollectionMethod()),
            c.getJurisdiction(),
            c.getPolicyUrl(),
            c.getSensitive(),
            c.getSensitiveCategoriesList());
    var consent = consents.create(CallContext.principal(), draft, ResourceNames.requestId(request.getRequestId()), CallContext.requestId());
    response.onNext(CreateConsentResponse.newBuilder().setConsent(toProto(consent)).build());
    response.onCompleted();
  }

  @Override
  public void listConsents(ListConsentsRequest request, StreamObserver<ListConsentsResponse> response) {
    var page =
        consents.list(
            CallContext.principal(),
            request.getDirection() == ListConsentsRequest.Direction.DIRECTION_GIVEN_TO_ME,
            request.getShowInactive(),
            request.getPageSize(),
            request.getPageToken());
    var out = ListConsentsResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.consents().forEach(c -> out.addConsents(toProto(c)));
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void revokeConsent(RevokeConsentRequest request, StreamObserver<RevokeConsentResponse> response) {
    var consent = consents.revoke(CallContext.principal(), request.getName(), CallContext.requestId());
    response.onNext(RevokeConsentResponse.newBuilder().setConsent(toProto(consent)).build());
    response.onCompleted();
  }

  @Override
  public void getConsentReceipt(GetConsentReceiptRequest request, StreamObserver<GetConsentReceiptResponse> response) {
    var receipt = consents.receipt(CallContext.principal(), request.getName(), CallContext.requestId());
    response.onNext(
        GetConsentReceiptResponse.newBuilder()
            .setReceipt(toProto(receipt.receipt()))
            .setReceiptJson(ByteString.copyFrom(receipt.signed().payload()))
            .setSignature(ByteString.copyFrom(receipt.signed().signature()))
            .setKeyId(receipt.signed().keyId())
            .build());
    response.onCompleted();
  }

  // ------------------------------------------------------------------ mapping

  private static VaultAccess.Role role(Role role, String field) {
    return switch (role) {
      case ROLE_READ -> VaultAccess.Role.READ;
      case ROLE_WRITE -> VaultAccess.Role.WRITE;
      case ROLE_SHARE -> VaultAccess.Role.SHARE;
      default -> throw CairnException.invalidField(field, role + " (expected: ROLE_READ, ROLE_WRITE or ROLE_SHARE)");
    };
  }

  private static Role toProto(VaultAccess.Role role) {
    return switch (role) {
      case READ -> Role.ROLE_READ;
      case WRITE -> Role.ROLE_WRITE;
      case SHARE -> Role.ROLE_SHARE;
    };
  }

  private boolean passed(@Nullable OffsetDateTime t) {
    return t != null && !t.toInstant().isAfter(vault.clock().instant());
  }

  private Grant toProto(Grants.Grant g) {
    var b =
        Grant.newBuilder()
            .setName("grants/" + g.id())
            .setGrantor(Sharing.userName(g.grantorId()))
            .setOwner(Sharing.userName(g.ownerId()))
            .setGrantee(Sharing.userName(g.granteeId()))
            .setTarget(g.target().name())
            .setRole(toProto(g.role()))
            .setPurpose(g.purpose())
            .setCreateTime(ProtoTime.timestamp(g.createdAt()));
    if (g.expiresAt() != null) {
      b.setExpireTime(ProtoTime.timestamp(g.expiresAt()));
    }
    if (g.revokedAt() != null) {
      b.setRevokeTime(ProtoTime.timestamp(g.revokedAt()));
    }
    if (g.consentId() != null) {
      b.setConsent("consents/" + g.consentId());
    }
    b.setState(
        g.revokedAt() != null
            ? Grant.State.STATE_REVOKED
            : passed(g.expiresAt()) ? Grant.State.STATE_EXPIRED : Grant.State.STATE_ACTIVE);
    return b.build();
  }

  private AccessLink toProto(Links.Link l) {
    var b =
        AccessLink.newBuilder()
            .setName("accessLinks/" + l.id())
            .setCreator(Sharing.userName(l.creatorId()))
            .setItem("items/" + l.itemId())
            .setVersion(l.version() == null ? 0 : l.version())
            .setPurpose(l.purpose())
            .setMaxUses(l.maxUses())
            .setUseCount(l.useCount())
            .setExpireTime(ProtoTime.timestamp(l.expiresAt()))
            .setRequireAttestation(l.requireAttestation())
            .setCreateTime(ProtoTime.timestamp(l.createdAt()));
    if (l.revokedAt() != null) {
      b.setRevokeTime(ProtoTime.timestamp(l.revokedAt()));
    }
    if (l.lastRedeemAt() != null) {
      b.setLastRedeemTime(ProtoTime.timestamp(l.lastRedeemAt()));
    }
    b.setState(
        l.revokedAt() != null
            ? AccessLink.State.STATE_REVOKED
            : l.useCount() >= l.maxUses()
                ? AccessLink.State.STATE_EXHAUSTED
                : passed(l.expiresAt()) ? AccessLink.State.STATE_EXPIRED : AccessLink.State.STATE_ACTIVE);
    return b.build();
  }

  private Item toProto(Links.RedeemedItem i) {
    var b =
        Item.newBuilder()
            .setName("items/" + i.id())
            .setOwner(Sharing.userName(i.ownerId()))
            .setKind(i.record() ? Item.Kind.KIND_RECORD : Item.Kind.KIND_DOCUMENT)
            .setDisplayName(i.displayName())
            .setMediaType(i.mediaType())
            .setSizeBytes(i.sizeBytes())
            .setContentSha256(ByteString.copyFrom(i.contentSha256()))
            .putAllLabels(i.labels())
            .setSearchable(i.searchable())
            .setVersion(i.version())
            .setCreateTime(ProtoTime.timestamp(i.createdAt()))
            .setUpdateTime(ProtoTime.timestamp(i.updatedAt()))
            .setState(Item.State.STATE_ACTIVE);
    if (i.collectionId() != null) {
      b.setCollection("collections/" + i.collectionId());
    }
    if (i.record()) {
      b.setData(RecordJson.toStruct(i.content()));
    } else {
      b.setContent(ByteString.copyFrom(i.content()));
    }
    return b.build();
  }

  private Consent toProto(Consents.Consent c) {
    var b =
        Consent.newBuilder()
            .setName("consents/" + c.id())
            .setOwner(Sharing.userName(c.ownerId()))
            .setRecipient(Sharing.userName(c.recipientId()))
            .setPurpose(c.purpose())
            .addAllPurposeCategories(c.purposeCategories())
            .addAllPiiCategories(c.piiCategories())
            .setRole(toProto(c.role()))
            .setStartTime(ProtoTime.timestamp(c.startsAt()))
            .setEndTime(ProtoTime.timestamp(c.endsAt()))
            .setAgreement(
                Consent.Agreement.newBuilder()
                    .setAgreed(true)
                    .setText(c.agreement().text())
                    .setTextVersion(c.agreement().textVersion())
                    .setCollectionMethod(c.agreement().collectionMethod())
                    .setAgreeTime(ProtoTime.timestamp(c.createdAt())))
            .setJurisdiction(c.jurisdiction())
            .setPolicyUrl(c.policyUrl())
            .setSensitive(c.sensitive())
            .addAllSensitiveCategories(c.sensitiveCategories())
            .setCreateTime(ProtoTime.timestamp(c.createdAt()));
    switch (c.scopeKind()) {
      case ITEMS -> b.setItems(Consent.ItemScope.newBuilder().addAllItems(c.scope()));
      case COLLECTION -> b.setCollection(c.scope().get(0));
      case LABELS -> b.setLabels(Consent.LabelScope.newBuilder().putAllLabels(c.labels()));
    }
    c.grants().forEach(g -> b.addGrants("grants/" + g));
    if (c.revokedAt() != null) {
      b.setRevokeTime(ProtoTime.timestamp(c.revokedAt()));
    }
    b.setState(
        c.revokedAt() != null
            ? Consent.State.STATE_REVOKED
            : passed(c.endsAt())
                ? Consent.State.STATE_EXPIRED
                : c.startsAt().toInstant().isAfter(vault.clock().instant())
                    ? Consent.State.STATE_PENDING
                    : Consent.State.STATE_ACTIVE);
    return b.build();
  }

  private static ConsentReceipt toProto(KantaraReceipt r) {
    var b =
        ConsentReceipt.newBuilder()
            .setVersion(r.version())
            .setJurisdiction(r.jurisdiction())
            .setConsentTimestamp(ProtoTime.timestamp(r.consentTime()))
            .setCollectionMethod(r.collectionMethod())
            .setConsentReceiptId(r.consentReceiptId())
            .setLanguage(r.language())
            .setPiiPrincipalId(r.piiPrincipalId())
            .setPolicyUrl(r.policyUrl())
            .setSensitive(r.sensitive())
            .addAllSpiCategories(r.spiCategories())
            .setConsent(r.consent())
            .setRecipient(r.recipient())
            .setRole(toProto(r.role()))
            .addAllScope(r.scope())
            .setStartTime(ProtoTime.timestamp(r.startTime()))
            .setEndTime(ProtoTime.timestamp(r.endTime()))
            .setAgreementTextVersion(r.agreementTextVersion())
            .setAgreementTextSha256(ByteString.copyFrom(r.agreementTextSha256()));
    r.piiControllers().forEach(c -> b.addPiiControllers(ConsentReceipt.PiiController.newBuilder()
        .setPiiController(c.name())
        .setContact(c.contact())
        .setEmail(c.email())
        .setPiiControllerUrl(c.url())
        .setOnBehalf(c.onBehalf())));
    for (var s : r.services()) {
      var service = ConsentReceipt.Service.newBuilder().setService(s.service());
      s.purposes().forEach(p -> service.addPurposes(ConsentReceipt.Purpose.newBuilder()
          .setPurpose(p.purpose())
          .addAllPurposeCategories(p.purposeCategories())
          .setConsentType(p.consentType())
          .addAllPiiCategories(p.piiCategories())
          .setPrimaryPurpose(p.primaryPurpose())
          .setTermination(p.termination())
          .setThirdPartyDisclosure(p.thirdPartyDisclosure())
          .setThirdPartyName(p.thirdPartyName())));
      b.addServices(service);
    }
    if (r.revokeTime() != null) {
      b.setRevokeTime(ProtoTime.timestamp(r.revokeTime()));
    }
    return b.build();
  }
}
