package dev.cairn.server.vault.records;

import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static dev.cairn.server.db.jooq.Tables.ITEM_VERSIONS;

import dev.cairn.server.content.ContentRepository;
import dev.cairn.server.content.StoredVersion;
import dev.cairn.server.access.Item;
import dev.cairn.server.core.Principal;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.access.VaultAccess.Role;
import java.util.List;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.SelectLimitPercentStep;
import org.jspecify.annotations.Nullable;

/**
 * The records of one collection that match a filter, in the requested order, with the
 * current version's ciphertext. Carries the caller's item rule too (owner or live grant),
 * although the collection was already checked: RLS and this predicate both have to agree.
 */
final class RecordQueryRepository {
  private static final String SORT_VALUE = "sort_value";

  /** A matching record: its item row, current version, and sort value (for the cursor). */
  record Row(Item item, StoredVersion version, @Nullable Object sortValue) {}

  /** The query, built but not run (tests EXPLAIN it). */
  SelectLimitPercentStep<Record> select(
      DSLContext sql,
      Principal caller,
      CollectionInfo collection,
      Condition filter,
      SortKey<?> key,
      @Nullable RecordCursor after,
      int limit) {
    Condition where =
        ITEMS.OWNER_ID.eq(collection.ownerId())
            .and(ITEMS.COLLECTION_ID.eq(collection.id()))
            .and(ITEMS.KIND.eq("RECORD"))
            .and(ITEMS.DELETED_AT.isNull())
            .and(VaultAccess.visible(caller, Role.READ))
            .and(filter);
    if (after != null) {
      where = where.and(seek(key, after));
    }
    return sql.select(ITEMS.fields())
        .select(ITEM_VERSIONS.fields())
        .select(key.field().as(SORT_VALUE))
        .from(ITEMS)
        .join(ITEM_VERSIONS)
        .on(ITEM_VERSIONS.ITEM_ID.eq(ITEMS.ID).and(ITEM_VERSIONS.VERSION.eq(ITEMS.CURRENT_VERSION)))
        .where(where)
        .orderBy(key.orderBy())
        .limit(limit);
  }

  List<Row> page(
      DSLContext sql,
      Principal caller,
      CollectionInfo collection,
      Condition filter,
      SortKey<?> key,
      @Nullable RecordCursor after,
      int limit) {
    return select(sql, caller, collection, filter, key, after, limit)
        .fetch(r -> new Row(VaultAccess.toItem(r.into(ITEMS)), ContentRepository.toStoredVersion(r.into(ITEM_VERSIONS)), r.get(SORT_VALUE)));
  }

  @SuppressWarnings("unchecked")
  private static <T> Condition seek(SortKey<T> key, RecordCursor after) {
    return key.after((T) after.value(), after.id());
  }

  /** The live grant on the collection the caller reads it through (for the audit log). */
  record Via(UUID grantId, @Nullable UUID consentId) {}

  @Nullable Via grantOnCollection(DSLContext sql, UUID caller, CollectionInfo collection) {
    Field<Integer> rank = org.jooq.impl.DSL.when(GRANTS.ROLE.eq("SHARE"), 3).when(GRANTS.ROLE.eq("WRITE"), 2).otherwise(1);
    var row =
        sql.select(GRANTS.ID, GRANTS.CONSENT_ID)
            .from(GRANTS)
            .where(GRANTS.GRANTEE_ID.eq(caller))
            .and(GRANTS.OWNER_ID.eq(collection.ownerId()))
            .and(GRANTS.COLLECTION_ID.eq(collection.id()))
            .and(VaultAccess.live())
            .orderBy(rank.desc(), GRANTS.CREATED_AT)
            .limit(1)
            .fetchOne();
    return row == null ? null : new Via(row.value1(), row.value2());
  }
}
