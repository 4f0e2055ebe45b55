package dev.cairn.server.vault.records;

import static dev.cairn.server.db.jooq.Tables.COLLECTIONS;
import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;

import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.jooq.tables.records.CollectionsRecord;
import dev.cairn.server.core.Principal;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.access.VaultAccess.Role;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * Collections in SQL. Every read carries the caller's rule: they own the collection, or a
 * live grant on it (of at least the role needed) names them.
 */
final class CollectionRepository {

  /** The caller owns the collection or holds a live grant on it of at least {@code role}. */
  static Condition visible(Principal caller, Role role) {
    if (!caller.isUser()) {
      return DSL.falseCondition();
    }
    return COLLECTIONS.OWNER_ID.eq(caller.requireUserId()).or(grantedToCaller(caller, role));
  }

  /** A live grant on the collection itself names the caller, at {@code role} or above. */
  static Condition grantedToCaller(Principal caller, Role role) {
    return DSL.exists(
        DSL.selectOne()
            .from(GRANTS)
            .where(GRANTS.GRANTEE_ID.eq(caller.requireUserId()))
            .and(GRANTS.OWNER_ID.eq(COLLECTIONS.OWNER_ID))
            .and(GRANTS.COLLECTION_ID.eq(COLLECTIONS.ID))
            .and(GRANTS.ROLE.in(atLeast(role)))
            .and(VaultAccess.live()));
  }

  /**
   * A live grant of at least {@code role} on one of the collection's records names the
   * caller (so a writer of that record may have it checked against the schema).
   */
  static Condition grantedOnARecord(Principal caller, Role role) {
    return DSL.exists(
        DSL.selectOne()
            .from(GRANTS)
            .join(ITEMS).on(ITEMS.ID.eq(GRANTS.ITEM_ID))
            .where(GRANTS.GRANTEE_ID.eq(caller.requireUserId()))
            .and(GRANTS.OWNER_ID.eq(COLLECTIONS.OWNER_ID))
            .and(ITEMS.COLLECTION_ID.eq(COLLECTIONS.ID))
            .and(GRANTS.ROLE.in(atLeast(role)))
            .and(VaultAccess.live()));
  }

  static List<String> atLeast(Role role) {
    return Arrays.stream(Role.values()).filter(r -> r.compareTo(role) >= 0).map(Role::name).toList();
  }

  /** Inserts a collection unless the owner already made one with {@code requestId}. */
  boolean insert(DSLContext sql, CollectionInfo c, @Nullable UUID requestId) {
    return sql.insertInto(COLLECTIONS)
            .set(COLLECTIONS.ID, c.id())
            .set(COLLECTIONS.OWNER_ID, c.ownerId())
            .set(COLLECTIONS.DISPLAY_NAME, c.displayName())
            .set(COLLECTIONS.DESCRIPTION, c.description())
            .set(COLLECTIONS.JSON_SCHEMA, c.jsonSchema())
            .set(COLLECTIONS.QUERYABLE_FIELDS, c.queryableFields().toArray(String[]::new))
            .set(COLLECTIONS.REVISION, c.revision())
            .set(COLLECTIONS.CREATE_REQUEST_ID, requestId)
            .set(COLLECTIONS.CREATED_AT, c.createdAt())
            .set(COLLECTIONS.UPDATED_AT, c.updatedAt())
            .onConflictDoNothing()
            .execute()
        == 1;
  }

  Optional<CollectionInfo> byRequestId(DSLContext sql, UUID owner, UUID requestId) {
    return sql.selectFrom(COLLECTIONS)
        .where(COLLECTIONS.OWNER_ID.eq(owner))
        .and(COLLECTIONS.CREATE_REQUEST_ID.eq(requestId))
        .fetchOptional()
        .map(CollectionRepository::info);
  }

  /** The collection, if the caller may act on it at {@code role}. */
  Optional<CollectionInfo> find(DSLContext sql, Principal caller, UUID id, Role role) {
    return sql.selectFrom(COLLECTIONS)
        .where(COLLECTIONS.ID.eq(id))
        .and(visible(caller, role))
        .fetchOptional()
        .map(CollectionRepository::info);
  }

  /** {@code owner}'s collection, if the caller may write records in it. */
  Optional<CollectionInfo> findForRecordWrite(DSLContext sql, Principal caller, UUID owner, UUID id) {
    if (!caller.isUser()) {
      return Optional.empty();
    }
    return sql.selectFrom(COLLECTIONS)
        .where(COLLECTIONS.ID.eq(id))
        .and(COLLECTIONS.OWNER_ID.eq(owner))
        .and(visible(caller, Role.WRITE).or(grantedOnARecord(caller, Role.WRITE)))
        .fetchOptional()
        .map(CollectionRepository::info);
  }

  /**
   * One page of the caller's own collections, or (with {@code sharedWithMe}) of other
   * owners' collections a live grant opens to them; newest first.
   */
  List<CollectionInfo> page(
      DSLContext sql, Principal caller, boolean sharedWithMe, @Nullable PageToken after, int limit) {
    UUID me = caller.requireUserId();
    Condition whose =
        sharedWithMe
            ? COLLECTIONS.OWNER_ID.ne(me).and(grantedToCaller(caller, Role.READ))
            : COLLECTIONS.OWNER_ID.eq(me);
    var query =
        sql.selectFrom(COLLECTIONS)
            .where(whose)
            .orderBy(COLLECTIONS.CREATED_AT.desc(), COLLECTIONS.ID.desc());
    var page =
        after == null ? query.limit(limit) : query.seek(after.time(), after.id()).limit(limit);
    return page.fetch().map(CollectionRepository::info);
  }

  static CollectionInfo info(CollectionsRecord r) {
    return new CollectionInfo(
        r.getId(),
        r.getOwnerId(),
        r.getDisplayName(),
        r.getDescription(),
        r.getJsonSchema(),
        List.of(r.getQueryableFields()),
        r.getRevision(),
        r.getCreatedAt(),
        r.getUpdatedAt());
  }
}
