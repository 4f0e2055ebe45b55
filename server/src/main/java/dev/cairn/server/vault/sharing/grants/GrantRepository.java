package dev.cairn.server.vault.sharing.grants;

import static dev.cairn.server.db.jooq.Tables.COLLECTIONS;
import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;

import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.GrantsRecord;
import dev.cairn.server.vault.sharing.Sharing.Target;
import dev.cairn.server.vault.sharing.SharingRepository;
import dev.cairn.server.vault.sharing.grants.Grants.Grant;
import dev.cairn.server.vault.sharing.grants.Grants.GrantFilter;
import dev.cairn.server.vault.sharing.grants.Grants.NewGrant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * jOOQ queries on grants. Every query names the user it is for (owner, grantor or grantee);
 * row-level security enforces the same rule underneath.
 */
final class GrantRepository {

  /** Whose a shareable thing is, and for an item the collection it is in. */
  record Placement(UUID owner, @Nullable UUID itemCollection) {}

  /** A live (not deleted) item the caller can see at READ or better, else empty. */
  Optional<Placement> visibleItem(DSLContext sql, Principal caller, UUID id) {
    return sql.select(ITEMS.OWNER_ID, ITEMS.COLLECTION_ID)
        .from(ITEMS)
        .where(ITEMS.ID.eq(id))
        .and(ITEMS.DELETED_AT.isNull())
        .and(VaultAccess.visible(caller, Role.READ))
        .fetchOptional(r -> new Placement(r.value1(), r.value2()));
  }

  /** The owner of a collection the caller can see (RLS: owner or a live grant on it). */
  Optional<UUID> visibleCollectionOwner(DSLContext sql, UUID caller, UUID id) {
    return sql.select(COLLECTIONS.OWNER_ID)
        .from(COLLECTIONS)
        .where(COLLECTIONS.ID.eq(id))
        .and(COLLECTIONS.OWNER_ID.eq(caller)
            .or(Routines.grantRoleOn(COLLECTIONS.OWNER_ID, DSL.val((UUID) null), COLLECTIONS.ID).ge(1)))
        .fetchOptional(COLLECTIONS.OWNER_ID);
  }

  /**
   * The live SHARE grants {@code holder} has that cover {@code target} of {@code owner}'s data
   * (for an item: on it or its collection; for a collection: on the collection), locked FOR
   * SHARE: whatever the transaction makes through them is committed before a revocation
   * (which locks them FOR UPDATE) looks for it. One being revoked is waited for, then
   * re-checked and left out (READ COMMITTED re-evaluates a locked row's conditions).
   */
  List<Grant> shareGrantsCovering(
      DSLContext sql, UUID holder, UUID owner, Target target, @Nullable UUID itemCollection) {
    Condition covers =
        target.collection()
            ? GRANTS.COLLECTION_ID.eq(target.id())
            : GRANTS.ITEM_ID.eq(target.id())
                .or(itemCollection == null ? DSL.falseCondition() : GRANTS.COLLECTION_ID.eq(itemCollection));
    return sql.selectFrom(GRANTS)
        .where(GRANTS.GRANTEE_ID.eq(holder))
        .and(GRANTS.OWNER_ID.eq(owner))
        .and(GRANTS.ROLE.eq(Role.SHARE.name()))
        .and(covers)
        .and(VaultAccess.live())
        .orderBy(GRANTS.ID) // one lock order for every caller
        .forShare()
        .fetch()
        .map(GrantRepository::grant);
  }

  /** Inserts unless this grantor already used the request id; returns the row either way. */
  Grant insert(DSLContext sql, NewGrant g) {
    var insert = sql.insertInto(GRANTS)
        .set(GRANTS.ID, g.id())
        .set(GRANTS.OWNER_ID, g.ownerId())
        .set(GRANTS.GRANTOR_ID, g.grantorId())
        .set(GRANTS.GRANTEE_ID, g.granteeId())
        .set(GRANTS.ITEM_ID, g.target().collection() ? null : g.target().id())
        .set(GRANTS.COLLECTION_ID, g.target().collection() ? g.target().id() : null)
        .set(GRANTS.ROLE, g.role().name())
        .set(GRANTS.PURPOSE, g.purpose())
        .set(GRANTS.STARTS_AT, g.startsAt())
        .set(GRANTS.EXPIRES_AT, g.expiresAt())
        .set(GRANTS.CONSENT_ID, g.consentId())
        .set(GRANTS.CREATE_REQUEST_ID, g.requestId());
    var row = (g.createdAt() == null ? insert : insert.set(GRANTS.CREATED_AT, g.createdAt()))
        .onConflictDoNothing()
        .returning()
        .fetchOptional();
    if (row.isPresent()) {
      return grant(row.get());
    }
    // only the grantor's request id can conflict: a concurrent retry won, return its grant
    return grantByRequest(sql, g.grantorId(), java.util.Objects.requireNonNull(g.requestId())).orElseThrow();
  }

  Optional<Grant> grantByRequest(DSLContext sql, UUID grantor, UUID requestId) {
    return sql.selectFrom(GRANTS)
        .where(GRANTS.GRANTOR_ID.eq(grantor))
        .and(GRANTS.CREATE_REQUEST_ID.eq(requestId))
        .fetchOptional()
        .map(GrantRepository::grant);
  }

  /** The grant if {@code user} is its owner, grantor or grantee; locked when {@code forUpdate}. */
  Optional<Grant> grantFor(DSLContext sql, UUID user, UUID id, boolean forUpdate) {
    var query =
        sql.selectFrom(GRANTS)
            .where(GRANTS.ID.eq(id))
            .and(GRANTS.OWNER_ID.eq(user).or(GRANTS.GRANTOR_ID.eq(user)).or(GRANTS.GRANTEE_ID.eq(user)));
    return (forUpdate ? query.forUpdate().fetchOptional() : query.fetchOptional()).map(GrantRepository::grant);
  }

  List<Grant> listGrants(
      DSLContext sql, UUID caller, GrantFilter filter, @Nullable UUID otherUser, @Nullable PageToken after, int limit) {
    Condition c =
        filter.toMe()
            ? GRANTS.GRANTEE_ID.eq(caller)
            : GRANTS.OWNER_ID.eq(caller).or(GRANTS.GRANTOR_ID.eq(caller));
    if (otherUser != null) {
      c = c.and(filter.toMe() ? GRANTS.GRANTOR_ID.eq(otherUser) : GRANTS.GRANTEE_ID.eq(otherUser));
    }
    if (filter.target() != null) {
      c = c.and(filter.target().collection()
          ? GRANTS.COLLECTION_ID.eq(filter.target().id())
          : GRANTS.ITEM_ID.eq(filter.target().id()));
    }
    if (filter.consent() != null) {
      c = c.and(GRANTS.CONSENT_ID.eq(filter.consent()));
    }
    if (!filter.showInactive()) {
      // pending consent grants (not yet started) are listed: they are not inactive
      c = c.and(GRANTS.REVOKED_AT.isNull())
          .and(GRANTS.EXPIRES_AT.isNull().or(GRANTS.EXPIRES_AT.gt(Routines.now())));
    }
    var query = sql.selectFrom(GRANTS).where(c).orderBy(GRANTS.CREATED_AT.desc(), GRANTS.ID.desc());
    var rows = after == null ? query.limit(limit).fetch() : query.seek(after.time(), after.id()).limit(limit).fetch();
    return rows.map(GrantRepository::grant);
  }

  /** Revokes an unrevoked grant: the revoked row, or empty when it was revoked already. */
  Optional<Grant> revokeGrant(DSLContext sql, UUID id) {
    return sql.update(GRANTS)
        .set(GRANTS.REVOKED_AT, Routines.now())
        .where(GRANTS.ID.eq(id))
        .and(GRANTS.REVOKED_AT.isNull())
        .returning()
        .fetchOptional()
        .map(GrantRepository::grant);
  }

  /**
   * Unrevoked grants {@code lost}'s grantee made on its owner's data that {@code lost}
   * covered: they lose their footing when {@code lost} goes. Locked FOR UPDATE, which waits
   * for the calls acting through them (see {@link #shareGrantsCovering}).
   */
  List<Grant> grantsDerivedFrom(DSLContext sql, Grant lost) {
    return sql.selectFrom(GRANTS)
        .where(GRANTS.OWNER_ID.eq(lost.ownerId()))
        .and(GRANTS.GRANTOR_ID.eq(lost.granteeId()))
        .and(GRANTS.REVOKED_AT.isNull())
        .and(covered(lost))
        .orderBy(GRANTS.ID)
        .forUpdate()
        .fetch()
        .map(GrantRepository::grant);
  }

  private static Condition covered(Grant lost) {
    if (!lost.target().collection()) {
      return GRANTS.ITEM_ID.eq(lost.target().id());
    }
    return GRANTS.COLLECTION_ID.eq(lost.target().id())
        .or(SharingRepository.itemInCollection(GRANTS.ITEM_ID, lost.ownerId(), lost.target().id()));
  }

  /** Unrevoked grants a consent created, locked for revocation. */
  List<Grant> grantsOfConsent(DSLContext sql, UUID consent) {
    return sql.selectFrom(GRANTS)
        .where(GRANTS.CONSENT_ID.eq(consent))
        .and(GRANTS.REVOKED_AT.isNull())
        .orderBy(GRANTS.ID)
        .forUpdate()
        .fetch()
        .map(GrantRepository::grant);
  }

  private static Grant grant(GrantsRecord r) {
    Target target = r.getItemId() != null ? new Target(false, r.getItemId()) : new Target(true, r.getCollectionId());
    return new Grant(
        r.getId(),
        r.getOwnerId(),
        r.getGrantorId(),
        r.getGranteeId(),
        target,
        Role.valueOf(r.getRole()),
        r.getPurpose(),
        r.getStartsAt(),
        r.getExpiresAt(),
        r.getRevokedAt(),
        r.getConsentId(),
        r.getCreatedAt());
  }
}
