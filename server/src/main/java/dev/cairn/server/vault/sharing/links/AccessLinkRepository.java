package dev.cairn.server.vault.sharing.links;

import static dev.cairn.server.db.jooq.Tables.ACCESS_LINKS;
import static dev.cairn.server.db.jooq.Tables.FIND_ACCESS_LINK;
import static dev.cairn.server.db.jooq.Tables.ITEMS;

import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.AccessLinksRecord;
import dev.cairn.server.vault.sharing.SharingRepository;
import dev.cairn.server.vault.sharing.grants.Grants.Grant;
import dev.cairn.server.vault.sharing.links.Links.Link;
import dev.cairn.server.vault.sharing.links.Links.LinkSecret;
import dev.cairn.server.vault.sharing.links.Links.LinkedItem;
import dev.cairn.server.vault.sharing.links.Links.NewLink;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * jOOQ queries on access links and the items they are for. Every query names the user it is
 * for (owner or creator), but the redemption look-up, which goes through the SECURITY DEFINER
 * {@code find_access_link}; row-level security enforces the same rule underneath.
 */
final class AccessLinkRepository {

  /** Inserts unless this creator already used the request id; returns the row either way. */
  Link insert(DSLContext sql, NewLink l) {
    var row = sql.insertInto(ACCESS_LINKS)
        .set(ACCESS_LINKS.ID, l.id())
        .set(ACCESS_LINKS.OWNER_ID, l.ownerId())
        .set(ACCESS_LINKS.CREATOR_ID, l.creatorId())
        .set(ACCESS_LINKS.ITEM_ID, l.itemId())
        .set(ACCESS_LINKS.VERSION, l.version())
        .set(ACCESS_LINKS.SECRET_SHA256, l.secretSha256())
        .set(ACCESS_LINKS.PURPOSE, l.purpose())
        .set(ACCESS_LINKS.MAX_USES, l.maxUses())
        .set(ACCESS_LINKS.EXPIRES_AT, l.expiresAt())
        .set(ACCESS_LINKS.REQUIRE_ATTESTATION, l.requireAttestation())
        .set(ACCESS_LINKS.CREATE_REQUEST_ID, l.requestId())
        .onConflictDoNothing()
        .returning()
        .fetchOptional();
    if (row.isPresent()) {
      return link(row.get());
    }
    // only the creator's request id can conflict: a concurrent retry won, return its link
    return linkByRequest(sql, l.creatorId(), Objects.requireNonNull(l.requestId())).orElseThrow();
  }

  Optional<Link> linkByRequest(DSLContext sql, UUID creator, UUID requestId) {
    return sql.selectFrom(ACCESS_LINKS)
        .where(ACCESS_LINKS.CREATOR_ID.eq(creator))
        .and(ACCESS_LINKS.CREATE_REQUEST_ID.eq(requestId))
        .fetchOptional()
        .map(AccessLinkRepository::link);
  }

  /** The link if {@code user} is its owner or creator; locked when {@code forUpdate}. */
  Optional<Link> linkFor(DSLContext sql, UUID user, UUID id, boolean forUpdate) {
    var query =
        sql.selectFrom(ACCESS_LINKS)
            .where(ACCESS_LINKS.ID.eq(id))
            .and(ACCESS_LINKS.OWNER_ID.eq(user).or(ACCESS_LINKS.CREATOR_ID.eq(user)));
    return (forUpdate ? query.forUpdate().fetchOptional() : query.fetchOptional()).map(AccessLinkRepository::link);
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
    return rows.map(AccessLinkRepository::link);
  }

  /** Revokes an unrevoked link: the revoked row, or empty when it was revoked already. */
  Optional<Link> revokeLink(DSLContext sql, UUID id) {
    return sql.update(ACCESS_LINKS)
        .set(ACCESS_LINKS.REVOKED_AT, Routines.now())
        .where(ACCESS_LINKS.ID.eq(id))
        .and(ACCESS_LINKS.REVOKED_AT.isNull())
        .returning()
        .fetchOptional()
        .map(AccessLinkRepository::link);
  }

  /** Revokes the unrevoked links {@code lost}'s grantee made on what {@code lost} covered. */
  int revokeDerivedFrom(DSLContext sql, Grant lost) {
    Condition covered = lost.target().collection()
        ? SharingRepository.itemInCollection(ACCESS_LINKS.ITEM_ID, lost.ownerId(), lost.target().id())
        : ACCESS_LINKS.ITEM_ID.eq(lost.target().id());
    return sql.update(ACCESS_LINKS)
        .set(ACCESS_LINKS.REVOKED_AT, Routines.now())
        .where(ACCESS_LINKS.OWNER_ID.eq(lost.ownerId()))
        .and(ACCESS_LINKS.CREATOR_ID.eq(lost.granteeId()))
        .and(ACCESS_LINKS.REVOKED_AT.isNull())
        .and(covered)
        .execute();
  }

  /** The link by id for redemption, whoever calls (SECURITY DEFINER function). */
  Optional<LinkSecret> findLinkForRedemption(DSLContext sql, UUID id) {
    return sql.selectFrom(FIND_ACCESS_LINK(id))
        .fetchOptional()
        .map(r -> new LinkSecret(r.getOwnerId(), r.getItemId(), r.getSecretSha256()));
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

  /** The item's current version number, if the caller can see the item. */
  Optional<Integer> currentVersion(DSLContext sql, UUID itemId) {
    return sql.select(ITEMS.CURRENT_VERSION).from(ITEMS).where(ITEMS.ID.eq(itemId)).fetchOptional(ITEMS.CURRENT_VERSION);
  }

  /** The owner's item, unless deleted. */
  Optional<LinkedItem> liveItem(DSLContext sql, UUID owner, UUID itemId) {
    return sql.selectFrom(ITEMS)
        .where(ITEMS.ID.eq(itemId))
        .and(ITEMS.OWNER_ID.eq(owner))
        .and(ITEMS.DELETED_AT.isNull())
        .fetchOptional()
        .map(r -> new LinkedItem(
            r.getId(), r.getOwnerId(), "RECORD".equals(r.getKind()), r.getCollectionId(), r.getDisplayName(),
            Jsonb.stringMap(r.getLabels()), r.getSearchable(), r.getCurrentVersion(), r.getCreatedAt(),
            r.getUpdatedAt()));
  }

  private static Link link(AccessLinksRecord r) {
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
}
