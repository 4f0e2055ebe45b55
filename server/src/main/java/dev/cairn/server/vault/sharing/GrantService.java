package dev.cairn.server.vault.sharing;

import dev.cairn.server.core.ResourceNames;
import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.db.jooq.Tables;
import dev.cairn.server.db.jooq.tables.records.GrantsRecord;
import dev.cairn.server.db.jooq.tables.records.ItemsRecord;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.sharing.Sharing.Grant;
import dev.cairn.server.vault.sharing.Sharing.GrantFilter;
import dev.cairn.server.vault.sharing.Sharing.GrantPage;
import dev.cairn.server.vault.sharing.Sharing.Target;
import dev.cairn.server.vault.sharing.Sharing.UserInfo;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Grant rules: who may give whom which role on what, for how long, and what revoking takes
 * with it. Nothing is cached: every vault call re-reads the grants, so a revocation or expiry
 * applies to the grantee's very next call.
 */
final class GrantService {
  private final VaultContext vault;
  private final SharingRepository repository;

  GrantService(VaultContext vault, SharingRepository repository) {
    this.vault = requireNonNull(vault, "vault");
    this.repository = requireNonNull(repository, "repository");
  }

  /** What the caller may share on a target: whose data it is, and the caller's own limits. */
  record ShareRight(UUID ownerId, @Nullable UUID viaGrant, @Nullable OffsetDateTime until, boolean unlimited) {
    /** Fails when {@code expiry} would outlive the caller's own SHARE grant. */
    @Nullable OffsetDateTime clamp(@Nullable OffsetDateTime expiry, String field) {
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

  Grant create(
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
      UserInfo grantee = resolveUser(sql, granteeRef);
      if (grantee.id().equals(right.ownerId())) {
        throw CairnException.invalidField("grant.grantee", granteeRef + " owns " + target.name() + " (expected: another user)");
      }
      if (grantee.id().equals(me)) {
        throw CairnException.invalidField("grant.grantee", granteeRef + " is you (expected: another user)");
      }
      OffsetDateTime expiry = right.clamp(expiresAt, "grant.expire_time");
      GrantsRecord row = sql.newRecord(Tables.GRANTS);
      row.setId(vault.ids().get());
      row.setOwnerId(right.ownerId());
      row.setGrantorId(me);
      row.setGranteeId(grantee.id());
      row.setItemId(target.collection() ? null : target.id());
      row.setCollectionId(target.collection() ? target.id() : null);
      row.setRole(role.name());
      row.setPurpose(purpose);
      row.setStartsAt(now());
      row.setExpiresAt(expiry);
      row.setCreateRequestId(requestId);
      Grant grant = repository.insertGrant(sql, row);
      if (grant.id().equals(row.getId())) {
        vault.audit().append(sql, right.ownerId(), created(grant, me, auditRequestId).withVia(right.viaGrant(), null, null));
      }
      return grant;
    });
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
  ShareRight shareRight(DSLContext sql, Principal caller, Target target) {
    UUID me = caller.requireUserId();
    Visible visible = visible(sql, caller, target);
    if (visible.owner().equals(me)) {
      return new ShareRight(visible.owner(), null, null, true);
    }
    List<GrantsRecord> shares = repository.shareGrantsCovering(sql, me, visible.owner(), target, visible.itemCollection());
    if (shares.isEmpty()) {
      visible(sql, caller, target); // NOT_FOUND if the lock waited for a revocation that hid it
      throw CairnException.permissionDenied("sharing " + target.name() + " needs the SHARE role on it");
    }
    GrantsRecord longest = shares.get(0);
    for (GrantsRecord g : shares) {
      if (g.getExpiresAt() == null || (longest.getExpiresAt() != null && g.getExpiresAt().isAfter(longest.getExpiresAt()))) {
        longest = g;
      }
    }
    return new ShareRight(visible.owner(), longest.getId(), longest.getExpiresAt(), false);
  }

  /** Whose {@code target} is, as far as the caller can see it (else NOT_FOUND). */
  private record Visible(UUID owner, @Nullable UUID itemCollection) {}

  private Visible visible(DSLContext sql, Principal caller, Target target) {
    if (target.collection()) {
      return repository.visibleCollectionOwner(sql, caller.requireUserId(), target.id())
          .map(owner -> new Visible(owner, null))
          .orElseThrow(() -> CairnException.notFound(target.name()));
    }
    return repository.visibleItem(sql, caller, target.id())
        .map(item -> new Visible(item.getOwnerId(), item.getCollectionId()))
        .orElseThrow(() -> CairnException.notFound(target.name()));
  }

  UserInfo resolveUser(DSLContext sql, String name) {
    String ref = name.substring(name.indexOf('/') + 1);
    return repository.findUser(sql, ref).orElseThrow(() -> CairnException.notFound(name));
  }

  GrantPage list(Principal caller, GrantFilter filter, int pageSize, String pageToken) {
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
        var user = repository.findUser(sql, filter.user().substring(filter.user().indexOf('/') + 1));
        if (user.isEmpty()) {
          return List.<Grant>of();
        }
        other = user.get().id();
      }
      var found = repository.listGrants(sql, me, filter, other, after, limit + 1);
      // One look-up per distinct grantee of the caller's own grants (a page has few people).
      found.stream().filter(g -> g.grantorId().equals(me)).map(Grant::granteeId).distinct().forEach(id ->
          repository.findUser(sql, id.toString()).ifPresent(u -> names.put(id, u.username())));
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
  Grant revoke(Principal caller, String name, String auditRequestId) {
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
      revokeWithCascade(sql, List.of(grant), "users/" + me, auditRequestId, Map.of());
      return repository.grantById(sql, id).orElseThrow();
    });
  }

  /**
   * Revokes {@code roots} (locked FOR UPDATE by the caller) and, transitively, whatever their
   * grantees shared on what they covered (grants and access links made through them),
   * auditing each revoked grant to the owner's chain; {@code rootDetails} go with the roots'
   * events. Deliberately conservative: a SHARE holder's grants go with the grant that covered
   * them even if they hold another, so revoking never leaves a re-share standing by accident.
   * Runs as the owner (RLS lets the owner update every grant and link on its data).
   *
   * <p>In three steps, in this order so it cannot deadlock with the calls it races. First
   * every grant that goes is locked FOR UPDATE, level by level: that waits for the calls
   * acting through it (they hold it FOR SHARE: re-shares, link creations, item access), so
   * the next level's query sees what they made, and holds off those that come later until
   * this commits. Then the grants and links change. The audit appends come last: they lock
   * the owner's chain head, which the calls being waited for need in order to finish.
   */
  void revokeWithCascade(
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
    for (Revocation r : going.values()) {
      repository.revokeGrant(sql, r.grant().id());
      if (r.grant().role() == Role.SHARE) {
        repository.revokeLinksDerivedFrom(sql, r.grant());
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
  }

  /** A grant to revoke, and why (the details its GRANT_REVOKE event carries). */
  private record Revocation(Grant grant, Map<String, String> details) {}

  private AuditLog.Entry created(Grant grant, UUID me, String auditRequestId) {
    var details = new java.util.TreeMap<String, String>();
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

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(vault.clock().instant(), java.time.ZoneOffset.UTC);
  }
}
