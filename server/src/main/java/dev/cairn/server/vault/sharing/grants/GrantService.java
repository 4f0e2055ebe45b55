package dev.cairn.server.vault.sharing.grants;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Now;
import dev.cairn.server.core.Principal;
import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.sharing.Sharing;
import dev.cairn.server.vault.sharing.Sharing.Target;
import dev.cairn.server.vault.sharing.Sharing.UserInfo;
import dev.cairn.server.vault.sharing.SharingRepository;
import dev.cairn.server.vault.sharing.grants.Grants.Grant;
import dev.cairn.server.vault.sharing.grants.Grants.GrantFilter;
import dev.cairn.server.vault.sharing.grants.Grants.GrantPage;
import dev.cairn.server.vault.sharing.grants.Grants.NewGrant;
import dev.cairn.server.vault.sharing.grants.Grants.ReshareCascade;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Grant rules: who may give whom which role on what, for how long, and what revoking takes
 * with it. Nothing is cached: every vault call re-reads the grants, so a revocation or expiry
 * applies to the grantee's very next call.
 */
public final class GrantService {
  private final VaultContext vault;
  private final SharingRepository shared;
  private final List<ReshareCascade> cascades;
  private final GrantRepository repository = new GrantRepository();

  /** @param cascades what else goes with a revoked SHARE grant (access links), in this order */
  public GrantService(VaultContext vault, SharingRepository shared, List<ReshareCascade> cascades) {
    this.vault = requireNonNull(vault, "vault");
    this.shared = requireNonNull(shared, "shared");
    this.cascades = List.copyOf(cascades);
  }

  /** What the caller may share on a target: whose data it is, and the caller's own limits. */
  public record ShareRight(UUID ownerId, @Nullable UUID viaGrant, @Nullable OffsetDateTime until, boolean unlimited) {
    /** Fails when {@code expiry} would outlive the caller's own SHARE grant. */
    public @Nullable OffsetDateTime clamp(@Nullable OffsetDateTime expiry, String field) {
      if (unlimited) {
        return expiry;
      }
      if (expiry == null) {
        return until;
      }
      if (until != null && expiry.isAfter(until)) {
        throw CairnException.invalidField(
            field, expiry + " is after your own grant ends (expected: at or before " + until + ")");
      }
      return expiry;
    }
  }

  public Grant create(
      Principal caller,
      String granteeRef,
      Target target,
      Role role,
      String purpose,
      @Nullable OffsetDateTime expiresAt,
      @Nullable UUID requestId,
      String auditRequestId) {
    UUID me = caller.requireUserId();
    return vault.database().transaction(caller, sql -> {
      if (requestId != null) {
        var existing = repository.grantByRequest(sql, me, requestId);
        if (existing.isPresent()) {
          return existing.get();
        }
      }
      ShareRight right = shareRight(sql, caller, target);
      UserInfo grantee = shared.resolveUser(sql, granteeRef);
      if (grantee.id().equals(right.ownerId())) {
        throw CairnException.invalidField("grant.grantee", granteeRef + " owns " + target.name() + " (expected: another user)");
      }
      if (grantee.id().equals(me)) {
        throw CairnException.invalidField("grant.grantee", granteeRef + " is you (expected: another user)");
      }
      OffsetDateTime expiry = right.clamp(expiresAt, "grant.expire_time");
      UUID id = vault.ids().get();
      Grant grant = repository.insert(sql, new NewGrant(
          id, right.ownerId(), me, grantee.id(), target, role, purpose, Now.of(vault.clock()), expiry, null, null,
          requestId));
      if (grant.id().equals(id)) {
        vault.audit().append(sql, right.ownerId(), created(grant, me, auditRequestId).withVia(right.viaGrant(), null, null));
      }
      return grant;
    });
  }

  /**
   * The owner's grants of a consent to its recipient, one per target, inside the consent's
   * transaction (audited with the consent, not one by one); their ids in target order.
   */
  public List<UUID> createForConsent(
      DSLContext sql, UUID owner, UUID recipient, List<Target> targets, Role role, String purpose,
      OffsetDateTime startsAt, OffsetDateTime endsAt, UUID consent, OffsetDateTime createdAt) {
    var ids = new ArrayList<UUID>();
    for (Target target : targets) {
      ids.add(repository.insert(sql, new NewGrant(
          vault.ids().get(), owner, owner, recipient, target, role, purpose, startsAt, endsAt, consent, createdAt,
          null)).id());
    }
    return ids;
  }

  /**
   * The caller's right to share {@code target}: as its owner (no limits), or through live SHARE
   * grants covering it (limited to the latest of their expiries). Invisible targets are
   * NOT_FOUND; visible ones without SHARE are PERMISSION_DENIED.
   *
   * <p>The SHARE grants are locked FOR SHARE until the caller's transaction ends, so what it
   * makes through them (a grant, an access link) is committed before a revocation of them can
   * look for it, or, when the revocation came first, they are found revoked here.
   */
  public ShareRight shareRight(DSLContext sql, Principal caller, Target target) {
    UUID me = caller.requireUserId();
    GrantRepository.Placement visible = visible(sql, caller, target);
    if (visible.owner().equals(me)) {
      return new ShareRight(visible.owner(), null, null, true);
    }
    List<Grant> shares = repository.shareGrantsCovering(sql, me, visible.owner(), target, visible.itemCollection());
    if (shares.isEmpty()) {
      visible(sql, caller, target); // NOT_FOUND if the lock waited for a revocation that hid it
      throw CairnException.permissionDenied("sharing " + target.name() + " needs the SHARE role on it");
    }
    Grant longest = shares.get(0);
    for (Grant g : shares) {
      if (g.expiresAt() == null || (longest.expiresAt() != null && g.expiresAt().isAfter(longest.expiresAt()))) {
        longest = g;
      }
    }
    return new ShareRight(visible.owner(), longest.id(), longest.expiresAt(), false);
  }

  /**
   * Whether {@code holder} still holds SHARE on {@code owner}'s item (on it or its collection),
   * locking those grants FOR SHARE as {@link #shareRight} does, so a revocation of them waits.
   */
  public boolean holdsShare(DSLContext sql, UUID holder, UUID owner, UUID item, @Nullable UUID itemCollection) {
    return !repository.shareGrantsCovering(sql, holder, owner, new Target(false, item), itemCollection).isEmpty();
  }

  /** Whose {@code target} is, as far as the caller can see it (else NOT_FOUND). */
  private GrantRepository.Placement visible(DSLContext sql, Principal caller, Target target) {
    if (target.collection()) {
      return repository.visibleCollectionOwner(sql, caller.requireUserId(), target.id())
          .map(owner -> new GrantRepository.Placement(owner, null))
          .orElseThrow(() -> CairnException.notFound(target.name()));
    }
    return repository.visibleItem(sql, caller, target.id())
        .orElseThrow(() -> CairnException.notFound(target.name()));
  }

  public GrantPage list(Principal caller, GrantFilter filter, int pageSize, String pageToken) {
    UUID me = caller.requireUserId();
    var binding = PageBinding.of(caller, "ListGrants").with("granted_to_me", filter.toMe())
        .with("target", filter.target() == null ? null : filter.target().name()).with("user", filter.user())
        .with("consent", filter.consent()).with("show_inactive", filter.showInactive());
    PageToken after = vault.pageTokens().decode(pageToken, binding, PageToken::read);
    int limit = PageTokens.pageSize(pageSize, 50, 1000);
    var names = new HashMap<UUID, String>();
    List<Grant> rows = vault.database().transaction(caller, sql -> {
      UUID other = null;
      if (filter.user() != null) {
        var user = shared.findUser(sql, filter.user().substring(filter.user().indexOf('/') + 1));
        if (user.isEmpty()) {
          return List.<Grant>of();
        }
        other = user.get().id();
      }
      var found = repository.listGrants(sql, me, filter, other, after, limit + 1);
      // One look-up per distinct grantee of the caller's own grants (a page has few people).
      found.stream().filter(g -> g.grantorId().equals(me)).map(Grant::granteeId).distinct().forEach(id ->
          shared.findUser(sql, id.toString()).ifPresent(u -> names.put(id, u.username())));
      return found;
    });
    var p = vault.pageTokens().page(rows, limit, binding, r -> new PageToken(r.createdAt(), r.id()));
    return new GrantPage(p.rows(), Map.copyOf(names), p.nextPageToken());
  }

  /**
   * Revokes a grant (owner, grantor or grantee). The owner's data is changed as the owner,
   * after checking the caller's part in the grant: only the owner may revoke what the grants
   * made on its data by SHARE holders hang on, and RLS lets the grantee read but not update.
   */
  public Grant revoke(Principal caller, String name, String auditRequestId) {
    UUID me = caller.requireUserId();
    UUID id = ResourceNames.idOf(name);
    UUID owner = vault.database().transaction(caller, sql ->
        repository.grantFor(sql, me, id, false).orElseThrow(() -> CairnException.notFound(name)).ownerId());
    return vault.database().transaction(Principal.system(owner), sql -> {
      // locked so concurrent revokes record one revocation, not two
      Grant grant = repository.grantFor(sql, owner, id, true)
          .filter(g -> me.equals(g.ownerId()) || me.equals(g.grantorId()) || me.equals(g.granteeId()))
          .orElseThrow(() -> CairnException.notFound(name));
      if (grant.revokedAt() != null) {
        return grant;
      }
      return requireNonNull(revokeWithCascade(sql, List.of(grant), "users/" + me, auditRequestId, Map.of()).get(id));
    });
  }

  /**
   * Revokes the live grants {@code consent} made, with their cascades, inside the consent's
   * revoking transaction (as its owner); {@code details} go with their events. How many.
   */
  public int revokeConsentGrants(
      DSLContext sql, UUID consent, String actor, String auditRequestId, Map<String, String> details) {
    List<Grant> revoked = repository.grantsOfConsent(sql, consent);
    revokeWithCascade(sql, revoked, actor, auditRequestId, details);
    return revoked.size();
  }

  /**
   * Revokes {@code roots} (locked FOR UPDATE by the caller) and, transitively, whatever their
   * grantees shared on what they covered (grants and, through the cascades, access links made
   * through them), auditing each revoked grant to the owner's chain; {@code rootDetails} go
   * with the roots' events. Deliberately conservative: a SHARE holder's grants go with the
   * grant that covered them even if they hold another, so revoking never leaves a re-share
   * standing by accident. Runs as the owner (RLS lets the owner update every grant and link on
   * its data). The revoked rows, by id.
   *
   * <p>In three steps, in this order so it cannot deadlock with the calls it races. First
   * every grant that goes is locked FOR UPDATE, level by level: that waits for the calls
   * acting through it (they hold it FOR SHARE: re-shares, link creations, item access), so
   * the next level's query sees what they made, and holds off those that come later until
   * this commits. Then the grants and links change. The audit appends come last: they lock
   * the owner's chain head, which the calls being waited for need in order to finish.
   */
  private Map<UUID, Grant> revokeWithCascade(
      DSLContext sql, List<Grant> roots, String actor, String auditRequestId, Map<String, String> rootDetails) {
    var going = new LinkedHashMap<UUID, Revocation>();
    var next = new ArrayDeque<Revocation>();
    roots.forEach(g -> next.add(new Revocation(g, rootDetails)));
    while (!next.isEmpty()) {
      Revocation r = next.removeFirst();
      if (going.putIfAbsent(r.grant().id(), r) != null || r.grant().role() != Role.SHARE) {
        continue; // already going (re-shares can form cycles), or could not have been shared on
      }
      for (Grant derived : repository.grantsDerivedFrom(sql, r.grant())) {
        next.add(new Revocation(derived, Map.of("cause", "grants/" + r.grant().id())));
      }
    }
    var revoked = new LinkedHashMap<UUID, Grant>();
    for (Revocation r : going.values()) {
      repository.revokeGrant(sql, r.grant().id()).ifPresent(g -> revoked.put(g.id(), g));
      if (r.grant().role() == Role.SHARE) {
        cascades.forEach(c -> c.revokeMadeThrough(sql, r.grant()));
      }
    }
    for (Revocation r : going.values()) {
      Grant grant = r.grant();
      vault.audit().append(sql, grant.ownerId(),
          AuditLog.Entry.of(actor, AuditAction.GRANT_REVOKE, "grants/" + grant.id(), auditRequestId)
              .withVia(grant.id(), null, grant.consentId())
              .withDetails(r.details())
              .withDetails(Map.of("grantee", Sharing.userName(grant.granteeId()), "on", grant.target().name())));
    }
    return revoked;
  }

  /** A grant to revoke, and why (the details its GRANT_REVOKE event carries). */
  private record Revocation(Grant grant, Map<String, String> details) {}

  private AuditLog.Entry created(Grant grant, UUID me, String auditRequestId) {
    var details = new TreeMap<String, String>();
    details.put("grantee", Sharing.userName(grant.granteeId()));
    details.put("on", grant.target().name());
    details.put("role", grant.role().name());
    details.put("purpose", grant.purpose());
    if (grant.expiresAt() != null) {
      details.put("expire_time", grant.expiresAt().toInstant().toString());
    }
    return AuditLog.Entry.of("users/" + me, AuditAction.GRANT_CREATE, "grants/" + grant.id(), auditRequestId)
        .withDetails(details);
  }
}
