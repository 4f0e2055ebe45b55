package dev.cairn.server.vault.sharing.consents;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Now;
import dev.cairn.server.core.Principal;
import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.crypto.Signer;
import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.sharing.Sharing;
import dev.cairn.server.vault.sharing.Sharing.Target;
import dev.cairn.server.vault.sharing.Sharing.UserInfo;
import dev.cairn.server.vault.sharing.SharingRepository;
import dev.cairn.server.vault.sharing.consents.Consents.Consent;
import dev.cairn.server.vault.sharing.consents.Consents.ConsentDraft;
import dev.cairn.server.vault.sharing.consents.Consents.ConsentPage;
import dev.cairn.server.vault.sharing.consents.Consents.Receipt;
import dev.cairn.server.vault.sharing.grants.GrantService;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Consents: the owner's recorded agreement to share a scope with a recipient for a purpose and
 * a window. Creating one creates its grants (consent_id set, so every access through them is
 * audited with the consent) in the same transaction; revoking it revokes them at once.
 */
public final class ConsentService {
  /** Labels may match at most this many items (Consent.LabelScope). */
  static final int MAX_LABEL_MATCHES = 1000;

  private final VaultContext vault;
  private final SharingRepository shared;
  private final ConsentRepository repository = new ConsentRepository();
  private final GrantService grants;
  private final Signer signer;

  public ConsentService(VaultContext vault, SharingRepository shared, GrantService grants, Signer signer) {
    this.vault = requireNonNull(vault, "vault");
    this.shared = requireNonNull(shared, "shared");
    this.grants = requireNonNull(grants, "grants");
    this.signer = requireNonNull(signer, "signer");
  }

  public Consent create(Principal caller, ConsentDraft draft, @Nullable UUID requestId, String auditRequestId) {
    UUID me = caller.requireUserId();
    return vault.database().transaction(caller, sql -> {
      if (requestId != null) {
        var existing = repository.consentByRequest(sql, me, requestId);
        if (existing.isPresent()) {
          return repository.consentFor(sql, me, existing.get(), false).orElseThrow();
        }
      }
      UserInfo recipient = shared.resolveUser(sql, draft.recipient());
      if (recipient.id().equals(me)) {
        throw CairnException.invalidField("consent.recipient", draft.recipient() + " is you (expected: another user)");
      }
      List<Target> targets = targets(sql, me, draft);
      OffsetDateTime now = Now.of(vault.clock());
      OffsetDateTime starts = draft.startsAt() == null ? now : draft.startsAt();
      UUID id = vault.ids().get();
      var inserted = repository.insertOnce(
          sql, id, me, recipient.id(), draft, targets.stream().map(Target::name).toList(), starts, now, requestId);
      if (inserted.isEmpty()) {
        // a concurrent retry with the same request id won: return its consent
        UUID winner = repository.consentByRequest(sql, me, requireNonNull(requestId)).orElseThrow();
        return repository.consentFor(sql, me, winner, false).orElseThrow();
      }
      List<UUID> grantIds = grants.createForConsent(
          sql, me, recipient.id(), targets, draft.role(), draft.purpose(), starts, draft.endsAt(), id, now);
      vault.audit().append(sql, me,
          AuditLog.Entry.of("users/" + me, AuditAction.CONSENT_CREATE, "consents/" + id, auditRequestId)
              .withVia(null, null, id)
              .withDetails(Map.of(
                  "recipient", Sharing.userName(recipient.id()),
                  "role", draft.role().name(),
                  "grants", Integer.toString(targets.size()),
                  "purpose", draft.purpose(),
                  "end_time", draft.endsAt().toInstant().toString())));
      // in the order a read lists them: by creation time (all the same), then id as PostgreSQL orders uuids
      return inserted.get().withGrants(grantIds.stream().sorted(Comparator.comparing(UUID::toString)).toList());
    });
  }

  /** The scope's items or collection, all owned by the caller; others are NOT_FOUND. */
  private List<Target> targets(DSLContext sql, UUID me, ConsentDraft draft) {
    switch (draft.scopeKind()) {
      case ITEMS -> {
        var owned = repository.ownedItems(sql, me, draft.items());
        for (UUID item : draft.items()) {
          if (!owned.contains(item)) {
            throw CairnException.notFound("items/" + item);
          }
        }
        return draft.items().stream().map(i -> new Target(false, i)).toList();
      }
      case COLLECTION -> {
        UUID collection = requireNonNull(draft.collection());
        if (!repository.ownsCollection(sql, me, collection)) {
          throw CairnException.notFound("collections/" + collection);
        }
        return List.of(new Target(true, collection));
      }
      case LABELS -> {
        List<UUID> matched = repository.itemsWithLabels(sql, me, draft.labels(), MAX_LABEL_MATCHES + 1);
        if (matched.isEmpty()) {
          throw CairnException.failedPrecondition("no item of yours carries all of these labels: " + draft.labels());
        }
        if (matched.size() > MAX_LABEL_MATCHES) {
          throw CairnException.failedPrecondition(
              "more than " + MAX_LABEL_MATCHES + " items carry these labels; narrow them or use a collection");
        }
        return matched.stream().map(i -> new Target(false, i)).toList();
      }
      default -> throw new IllegalStateException(draft.scopeKind().name());
    }
  }

  public ConsentPage list(Principal caller, boolean toMe, boolean showInactive, int pageSize, String pageToken) {
    UUID me = caller.requireUserId();
    var binding = PageBinding.of(caller, "ListConsents").with("given_to_me", toMe).with("show_inactive", showInactive);
    PageToken after = vault.pageTokens().decode(pageToken, binding, PageToken::read);
    int limit = PageTokens.pageSize(pageSize, 50, 1000);
    List<Consent> rows =
        vault.database().transaction(caller, sql -> repository.listConsents(sql, me, toMe, showInactive, after, limit + 1));
    var p = vault.pageTokens().page(rows, limit, binding, r -> new PageToken(r.createdAt(), r.id()));
    return new ConsentPage(p.rows(), p.nextPageToken());
  }

  /** Owner only (the recipient sees it, so PERMISSION_DENIED for them); idempotent. */
  public Consent revoke(Principal caller, String name, String auditRequestId) {
    UUID me = caller.requireUserId();
    UUID id = ResourceNames.idOf(name);
    return vault.database().transaction(caller, sql -> {
      Consent visible = repository.consentFor(sql, me, id, false).orElseThrow(() -> CairnException.notFound(name));
      if (!visible.ownerId().equals(me)) {
        throw CairnException.permissionDenied("only the consenting owner may revoke " + name);
      }
      // locked so a concurrent revoke waits and then sees it revoked (FOR UPDATE passes RLS's
      // update policy only for the owner, hence the unlocked read above for the recipient)
      Consent consent = repository.consentFor(sql, me, id, true).orElseThrow(() -> CairnException.notFound(name));
      if (consent.revokedAt() != null) {
        return consent;
      }
      Consent revokedConsent = repository.revokeConsent(sql, id).orElseThrow().withGrants(consent.grants());
      int revoked = grants.revokeConsentGrants(sql, id, "users/" + me, auditRequestId, Map.of("cause", name));
      vault.audit().append(sql, me,
          AuditLog.Entry.of("users/" + me, AuditAction.CONSENT_REVOKE, name, auditRequestId)
              .withVia(null, null, id)
              .withDetails(Map.of("grants", Integer.toString(revoked))));
      return revokedConsent;
    });
  }

  /** Owner or recipient; the issue is audited to the owner's chain. */
  public Receipt receipt(Principal caller, String name, String auditRequestId) {
    UUID me = caller.requireUserId();
    UUID id = ResourceNames.idOf(name);
    return vault.database().transaction(caller, sql -> {
      Consent consent = repository.consentFor(sql, me, id, false).orElseThrow(() -> CairnException.notFound(name));
      String recipient = shared.findUser(sql, consent.recipientId().toString())
          .map(u -> (u.displayName().isEmpty() ? u.username() : u.displayName()) + " (" + Sharing.userName(u.id()) + ")")
          .orElse(Sharing.userName(consent.recipientId()));
      KantaraReceipt receipt = KantaraReceipt.of(consent, recipient, vault.limits().piiController());
      Signer.Signed signed = signer.sign(receipt.json());
      vault.audit().append(sql, consent.ownerId(),
          AuditLog.Entry.of("users/" + me, AuditAction.CONSENT_RECEIPT_ISSUE, name, auditRequestId)
              .withVia(null, null, id)
              .withDetails(Map.of("key_id", signed.keyId())));
      return new Receipt(receipt, signed);
    });
  }
}
