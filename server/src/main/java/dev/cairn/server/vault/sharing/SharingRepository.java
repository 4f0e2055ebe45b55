package dev.cairn.server.vault.sharing;

import static dev.cairn.server.db.jooq.Tables.ACCESS_LINKS;
import static dev.cairn.server.db.jooq.Tables.COLLECTIONS;
import static dev.cairn.server.db.jooq.Tables.CONSENTS;
import static dev.cairn.server.db.jooq.Tables.FIND_ACCESS_LINK;
import static dev.cairn.server.db.jooq.Tables.FIND_USER;
import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.AccessLinksRecord;
import dev.cairn.server.db.jooq.tables.records.ConsentsRecord;
import dev.cairn.server.db.jooq.tables.records.FindAccessLinkRecord;
import dev.cairn.server.db.jooq.tables.records.GrantsRecord;
import dev.cairn.server.db.jooq.tables.records.ItemsRecord;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.vault.sharing.Sharing.Agreement;
import dev.cairn.server.vault.sharing.Sharing.Consent;
import dev.cairn.server.vault.sharing.Sharing.Grant;
import dev.cairn.server.vault.sharing.Sharing.Link;
import dev.cairn.server.vault.sharing.Sharing.ScopeKind;
import dev.cairn.server.vault.sharing.Sharing.Target;
import dev.cairn.server.vault.sharing.Sharing.UserInfo;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * jOOQ queries for grants, access links and consents. Every query names the user it is for
 * (owner, grantor, grantee, creator or recipient); row-level security enforces the same rule
 * underneath.
 */
final class SharingRepository {

  // ------------------------------------------------------------------ users and targets

  /** A live user by {@code users/{uuid}} or {@code users/{username}} segment. */
  Optional<UserInfo> findUser(DSLContext sql, String ref) {
    return sql.selectFrom(FIND_USER(ref))
        .fetchOptional()
        .map(r -> new UserInfo(r.getId(), r.getUsername(), r.getDisplayName()));
  }

  /** A live (not deleted) item the caller can see at READ or better, else empty. */
  Optional<ItemsRecord> visibleItem(DSLContext sql, dev.cairn.server.core.Principal caller, UUID id) {
    return sql.selectFrom(ITEMS)
        .where(ITEMS.ID.eq(id))
        .and(ITEMS.DELETED_AT.isNull())
        .and(VaultAccess.visible(caller, Role.READ))
        .fetchOptional();
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
  List<GrantsRecord> shareGrantsCovering(
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
        .fetch();
  }

  // ------------------------------------------------------------------ grants

  /** Inserts unless this grantor already used the request id; returns the row either way. */
  Grant insertGrant(DSLContext sql, GrantsRecord row) {
    int inserted = sql.insertInto(GRANTS).set(row).onConflictDoNothing().execute();
    if (inserted == 1 || row.getCreateRequestId() == null) {
      return grantById(sql, row.getId()).orElseThrow();
    }
    return grantByRequest(sql, row.getGrantorId(), row.getCreateRequestId()).orElseThrow();
  }

  Optional<Grant> grantByRequest(DSLContext sql, UUID grantor, UUID requestId) {
    return sql.selectFrom(GRANTS)
        .where(GRANTS.GRANTOR_ID.eq(grantor))
        .and(GRANTS.CREATE_REQUEST_ID.eq(requestId))
        .fetchOptional()
        .map(SharingRepository::grant);
  }

  Optional<Grant> grantById(DSLContext sql, UUID id) {
    return sql.selectFrom(GRANTS).where(GRANTS.ID.eq(id)).fetchOptional().map(SharingRepository::grant);
  }

  /** The grant if {@code user} is its owner, grantor or grantee; locked when {@code forUpdate}. */
  Optional<Grant> grantFor(DSLContext sql, UUID user, UUID id, boolean forUpdate) {
    var query =
        sql.selectFrom(GRANTS)
            .where(GRANTS.ID.eq(id))
            .and(GRANTS.OWNER_ID.eq(user).or(GRANTS.GRANTOR_ID.eq(user)).or(GRANTS.GRANTEE_ID.eq(user)));
    return (forUpdate ? query.forUpdate().fetchOptional() : query.fetchOptional()).map(SharingRepository::grant);
  }

  List<Grant> listGrants(
      DSLContext sql, UUID caller, Sharing.GrantFilter filter, @Nullable UUID otherUser, @Nullable PageToken after, int limit) {
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
    return rows.map(SharingRepository::grant);
  }

  void revokeGrant(DSLContext sql, UUID id) {
    sql.update(GRANTS)
        .set(GRANTS.REVOKED_AT, Routines.now())
        .where(GRANTS.ID.eq(id))
        .and(GRANTS.REVOKED_AT.isNull())
        .execute();
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
        .and(covered(GRANTS.ITEM_ID, GRANTS.COLLECTION_ID, lost))
        .orderBy(GRANTS.ID)
        .forUpdate()
        .fetch()
        .map(SharingRepository::grant);
  }

  /** Revokes the unrevoked links {@code lost}'s grantee made on what {@code lost} covered. */
  int revokeLinksDerivedFrom(DSLContext sql, Grant lost) {
    return sql.update(ACCESS_LINKS)
        .set(ACCESS_LINKS.REVOKED_AT, Routines.now())
        .where(ACCESS_LINKS.OWNER_ID.eq(lost.ownerId()))
        .and(ACCESS_LINKS.CREATOR_ID.eq(lost.granteeId()))
        .and(ACCESS_LINKS.REVOKED_AT.isNull())
        .and(covered(ACCESS_LINKS.ITEM_ID, null, lost))
        .execute();
  }

  private static Condition covered(
      org.jooq.Field<UUID> itemField, org.jooq.@Nullable Field<UUID> collectionField, Grant lost) {
    if (!lost.target().collection()) {
      return itemField.eq(lost.target().id());
    }
    Condition items =
        itemField.in(
            DSL.select(ITEMS.ID)
                .from(ITEMS)
                .where(ITEMS.OWNER_ID.eq(lost.ownerId()))
                .and(ITEMS.COLLECTION_ID.eq(lost.target().id())));
    return collectionField == null ? items : collectionField.eq(lost.target().id()).or(items);
  }

  /** Unrevoked grants a consent created, locked for revocation. */
  List<Grant> grantsOfConsent(DSLContext sql, UUID consent) {
    return sql.selectFrom(GRANTS)
        .where(GRANTS.CONSENT_ID.eq(consent))
        .and(GRANTS.REVOKED_AT.isNull())
        .orderBy(GRANTS.ID)
        .forUpdate()
        .fetch()
        .map(SharingRepository::grant);
  }

  static Grant grant(GrantsRecord r) {
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

  // ------------------------------------------------------------------ access links

  Link insertLink(DSLContext sql, AccessLinksRecord row) {
    int inserted = sql.insertInto(ACCESS_LINKS).set(row).onConflictDoNothing().execute();
    if (inserted == 1 || row.getCreateRequestId() == null) {
      return linkFor(sql, row.getCreatorId(), row.getId(), false).orElseThrow();
    }
    return linkByRequest(sql, row.getCreatorId(), row.getCreateRequestId()).orElseThrow();
  }

  Optional<Link> linkByRequest(DSLContext sql, UUID creator, UUID requestId) {
    return sql.selectFrom(ACCESS_LINKS)
        .where(ACCESS_LINKS.CREATOR_ID.eq(creator))
        .and(ACCESS_LINKS.CREATE_REQUEST_ID.eq(requestId))
        .fetchOptional()
        .map(SharingRepository::link);
  }

  /** The link if {@code user} is its owner or creator; locked when {@code forUpdate}. */
  Optional<Link> linkFor(DSLContext sql, UUID user, UUID id, boolean forUpdate) {
    var query =
        sql.selectFrom(ACCESS_LINKS)
            .where(ACCESS_LINKS.ID.eq(id))
            .and(ACCESS_LINKS.OWNER_ID.eq(user).or(ACCESS_LINKS.CREATOR_ID.eq(user)));
    return (forUpdate ? query.forUpdate().fetchOptional() : query.fetchOptional()).map(SharingRepository::link);
  }

  List<Link> listLinks(
      DSLContext sql, UUID caller, @Nullable UUID item, boolean showInactive, @Nullable PageToken after, int limit) {
    Condition c = ACCESS_LINKS.OWNER_ID.eq(caller).or(ACCESS_LINKS.CREATOR_ID.eq(caller));
    if (item != null) {
      c = c.and(ACCESS_LINKS.ITEM_ID.eq(item));
    }
    if (!showInactive) {
      c = c.and(ACCESS_LINKS.REVOKED_AT.isNull())
          .and(ACCESS_LINKS.EXPIRES_AT.gt(Routines.now()))
          .and(ACCESS_LINKS.USE_COUNT.lt(ACCESS_LINKS.MAX_USES));
    }
    var query =
        sql.selectFrom(ACCESS_LINKS).where(c).orderBy(ACCESS_LINKS.CREATED_AT.desc(), ACCESS_LINKS.ID.desc());
    var rows = after == null ? query.limit(limit).fetch() : query.seek(after.time(), after.id()).limit(limit).fetch();
    return rows.map(SharingRepository::link);
  }

  void revokeLink(DSLContext sql, UUID id) {
    sql.update(ACCESS_LINKS)
        .set(ACCESS_LINKS.REVOKED_AT, Routines.now())
        .where(ACCESS_LINKS.ID.eq(id))
        .and(ACCESS_LINKS.REVOKED_AT.isNull())
        .execute();
  }

  /** The link by id for redemption, whoever calls (SECURITY DEFINER function). */
  Optional<FindAccessLinkRecord> findLinkForRedemption(DSLContext sql, UUID id) {
    return sql.selectFrom(FIND_ACCESS_LINK(id)).fetchOptional();
  }

  /**
   * Consumes one use atomically (one UPDATE ... WHERE use_count < max_uses): the new use
   * count, or empty when the link is expired, revoked or used up by the time we got the row.
   */
  Optional<Integer> consumeLink(DSLContext sql, UUID id) {
    return Optional.ofNullable(Routines.consumeAccessLink(sql.configuration(), id));
  }

  void markRedeemed(DSLContext sql, UUID id) {
    sql.update(ACCESS_LINKS).set(ACCESS_LINKS.LAST_REDEEMED_AT, Routines.now()).where(ACCESS_LINKS.ID.eq(id)).execute();
  }

  static Link link(AccessLinksRecord r) {
    return new Link(
        r.getId(),
        r.getOwnerId(),
        r.getCreatorId(),
        r.getItemId(),
        r.getVersion(),
        r.getPurpose(),
        r.getMaxUses(),
        r.getUseCount(),
        r.getExpiresAt(),
        r.getRevokedAt(),
        r.getRequireAttestation(),
        r.getCreatedAt(),
        r.getLastRedeemedAt());
  }

  // ------------------------------------------------------------------ consents

  /** The owner's live items among {@code ids}, by id. */
  Map<UUID, ItemsRecord> ownedItems(DSLContext sql, UUID owner, List<UUID> ids) {
    return sql.selectFrom(ITEMS)
        .where(ITEMS.OWNER_ID.eq(owner))
        .and(ITEMS.ID.in(ids))
        .and(ITEMS.DELETED_AT.isNull())
        .fetchMap(ITEMS.ID);
  }

  boolean ownsCollection(DSLContext sql, UUID owner, UUID id) {
    return sql.fetchExists(COLLECTIONS, COLLECTIONS.OWNER_ID.eq(owner).and(COLLECTIONS.ID.eq(id)));
  }

  /** Up to {@code limit} of the owner's live items carrying all {@code labels}, oldest first. */
  List<UUID> itemsWithLabels(DSLContext sql, UUID owner, Map<String, String> labels, int limit) {
    return sql.select(ITEMS.ID)
        .from(ITEMS)
        .where(ITEMS.OWNER_ID.eq(owner))
        .and(ITEMS.DELETED_AT.isNull())
        .and(DSL.condition("{0} @> {1}", ITEMS.LABELS, DSL.val(Jsonb.of(labels))))
        .orderBy(ITEMS.CREATED_AT, ITEMS.ID)
        .limit(limit)
        .fetch(ITEMS.ID);
  }

  /** Inserts unless the owner already used the request id; true when this call inserted it. */
  boolean insertConsentOnce(DSLContext sql, ConsentsRecord row) {
    return sql.insertInto(CONSENTS).set(row).onConflictDoNothing().execute() == 1;
  }

  Optional<UUID> consentByRequest(DSLContext sql, UUID owner, UUID requestId) {
    return sql.select(CONSENTS.ID)
        .from(CONSENTS)
        .where(CONSENTS.OWNER_ID.eq(owner))
        .and(CONSENTS.CREATE_REQUEST_ID.eq(requestId))
        .fetchOptional(CONSENTS.ID);
  }

  /** The consent if {@code user} is its owner or recipient; locked when {@code forUpdate}. */
  Optional<Consent> consentFor(DSLContext sql, UUID user, UUID id, boolean forUpdate) {
    var query =
        sql.selectFrom(CONSENTS)
            .where(CONSENTS.ID.eq(id))
            .and(CONSENTS.OWNER_ID.eq(user).or(CONSENTS.RECIPIENT_ID.eq(user)));
    var row = forUpdate ? query.forUpdate().fetchOptional() : query.fetchOptional();
    return row.map(r -> consent(r, grantIdsOf(sql, List.of(r.getId())).getOrDefault(r.getId(), List.of())));
  }

  List<Consent> listConsents(
      DSLContext sql, UUID caller, boolean toMe, boolean showInactive, @Nullable PageToken after, int limit) {
    Condition c = toMe ? CONSENTS.RECIPIENT_ID.eq(caller) : CONSENTS.OWNER_ID.eq(caller);
    if (!showInactive) {
      c = c.and(CONSENTS.REVOKED_AT.isNull())
          .and(CONSENTS.ENDS_AT.isNull().or(CONSENTS.ENDS_AT.gt(Routines.now())));
    }
    var query = sql.selectFrom(CONSENTS).where(c).orderBy(CONSENTS.CREATED_AT.desc(), CONSENTS.ID.desc());
    var rows = after == null ? query.limit(limit).fetch() : query.seek(after.time(), after.id()).limit(limit).fetch();
    Map<UUID, List<UUID>> grants = grantIdsOf(sql, rows.map(ConsentsRecord::getId));
    return rows.map(r -> consent(r, grants.getOrDefault(r.getId(), List.of())));
  }

  void revokeConsent(DSLContext sql, UUID id) {
    sql.update(CONSENTS)
        .set(CONSENTS.REVOKED_AT, Routines.now())
        .where(CONSENTS.ID.eq(id))
        .and(CONSENTS.REVOKED_AT.isNull())
        .execute();
  }

  private static Map<UUID, List<UUID>> grantIdsOf(DSLContext sql, List<UUID> consents) {
    if (consents.isEmpty()) {
      return Map.of();
    }
    return sql.select(GRANTS.CONSENT_ID, GRANTS.ID)
        .from(GRANTS)
        .where(GRANTS.CONSENT_ID.in(consents))
        .orderBy(GRANTS.CREATED_AT, GRANTS.ID)
        .fetchGroups(GRANTS.CONSENT_ID, GRANTS.ID);
  }

  /** The scope column: {"names": [...resource names], "labels": {...}} (labels only for LABELS). */
  static JSONB scopeJson(List<String> names, Map<String, String> labels) {
    var json = new JsonObject();
    var array = new JsonArray();
    names.forEach(array::add);
    json.add("names", array);
    if (!labels.isEmpty()) {
      json.add("labels", Jsonb.object(labels));
    }
    return Jsonb.of(json);
  }

  static JSONB agreementJson(Agreement a, OffsetDateTime agreedAt) {
    var json = new JsonObject();
    json.addProperty("agreed", true);
    json.addProperty("text", a.text());
    json.addProperty("text_version", a.textVersion());
    json.addProperty("collection_method", a.collectionMethod());
    json.addProperty("agree_time", agreedAt.toInstant().toString());
    return Jsonb.of(json);
  }

  static Consent consent(ConsentsRecord r, List<UUID> grants) {
    var scope = Jsonb.object(r.getScope());
    List<String> names = new ArrayList<>();
    scope.getAsJsonArray("names").forEach(e -> names.add(e.getAsString()));
    Map<String, String> labels = scope.has("labels") ? Jsonb.stringMap(scope.getAsJsonObject("labels")) : Map.of();
    var agreement = Jsonb.object(r.getAgreement());
    return new Consent(
        r.getId(),
        r.getOwnerId(),
        r.getRecipientId(),
        r.getPurpose(),
        Arrays.asList(r.getPurposeCategories()),
        Arrays.asList(r.getPiiCategories()),
        ScopeKind.valueOf(r.getScopeKind()),
        names,
        labels,
        Role.valueOf(r.getRole()),
        r.getStartsAt(),
        r.getEndsAt(),
        new Agreement(
            agreement.get("text").getAsString(),
            agreement.get("text_version").getAsString(),
            agreement.get("collection_method").getAsString()),
        r.getJurisdiction(),
        r.getPolicyUrl(),
        r.getSensitive(),
        Arrays.asList(r.getSensitiveCategories()),
        r.getCreatedAt(),
        r.getRevokedAt(),
        grants);
  }
}
