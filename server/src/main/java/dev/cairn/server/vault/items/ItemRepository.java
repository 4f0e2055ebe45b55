package dev.cairn.server.vault.items;

import dev.cairn.server.content.ContentRepository;
import dev.cairn.server.content.StoredVersion;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.core.ResourceNames;
import static dev.cairn.server.db.jooq.Tables.COLLECTIONS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static dev.cairn.server.db.jooq.Tables.ITEM_COUNTS;
import static dev.cairn.server.db.jooq.Tables.ITEM_VERSIONS;
import static dev.cairn.server.db.jooq.Tables.RECORD_VALUES;

import dev.cairn.server.access.Item;
import dev.cairn.server.access.Item.Kind;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.core.Principal;
import dev.cairn.server.crypto.DataKeys;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.StatementBatcher;
import dev.cairn.server.db.Jsonb;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.ItemVersionsRecord;
import dev.cairn.server.db.jooq.tables.records.ItemsRecord;
import dev.cairn.server.vault.items.Items.Filter;
import dev.cairn.server.vault.items.Items.Version;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * The jOOQ queries of the item RPCs. Every query that reads user data carries the caller's
 * ownership (owner_id = caller) or goes through {@link dev.cairn.server.access.VaultAccess};
 * row-level security applies underneath.
 */
final class ItemRepository {

  Optional<Item> findByRequestId(DSLContext sql, UUID owner, UUID requestId) {
    return sql.selectFrom(ITEMS)
        .where(ITEMS.OWNER_ID.eq(owner))
        .and(ITEMS.CREATE_REQUEST_ID.eq(requestId))
        .fetchOptional()
        .map(ItemRepository::toItem);
  }

  /** Items the owner holds, deleted ones included until purged (the limit's count). */
  long heldItems(DSLContext sql, UUID owner) {
    Long held = sql.select(ITEM_COUNTS.ITEMS).from(ITEM_COUNTS).where(ITEM_COUNTS.OWNER_ID.eq(owner)).fetchOne(ITEM_COUNTS.ITEMS);
    return held == null ? 0 : held;
  }

  boolean ownsCollection(DSLContext sql, UUID owner, UUID collection) {
    return sql.fetchExists(COLLECTIONS, COLLECTIONS.OWNER_ID.eq(owner).and(COLLECTIONS.ID.eq(collection)));
  }

  /** Facts of a new item's first version, for {@link #insertItem}. */
  record Content(String mediaType, long sizeBytes, byte[] sha256) {}

  /**
   * The create path's inserts as constant SQL with typed casts (jOOQ's plain SQL binds a null
   * untyped: SQLSTATE 42804), kept prepared by pgjdbc where jOOQ built and rendered each anew on
   * every create. The item's row comes back from RETURNING.
   */
  private static final String INSERT_ITEM =
      "insert into cairn.items (id, owner_id, kind, collection_id, display_name, media_type, labels, searchable,"
          + " current_version, size_bytes, content_sha256, revision, create_request_id, created_at, updated_at)"
          + " values (cast(? as uuid), cast(? as uuid), cast(? as text), cast(? as uuid), cast(? as text),"
          + " cast(? as text), cast(? as jsonb), cast(? as boolean), 1, cast(? as bigint), cast(? as bytea), 1,"
          + " cast(? as uuid), cast(? as timestamptz), cast(? as timestamptz))"
          + " on conflict do nothing returning *";
  private static final String INSERT_VERSION =
      "insert into cairn.item_versions (item_id, version, owner_id, author_id, media_type, size_bytes,"
          + " content_sha256, blob_id, segment_count, record_ciphertext, created_at)"
          + " values (cast(? as uuid), cast(? as integer), cast(? as uuid), cast(? as uuid), cast(? as text),"
          + " cast(? as bigint), cast(? as bytea), cast(? as uuid), cast(? as integer), cast(? as bytea),"
          + " cast(? as timestamptz))";

  /** Inserts an item at version 1; empty when its request_id was already used (then re-read). */
  Optional<Item> insertItem(
      DSLContext sql, UUID id, UUID owner, Items.NewItem item, Content content, OffsetDateTime now) {
    return sql.resultQuery(INSERT_ITEM, id, owner, item.kind().name(), item.collectionId(), item.displayName(),
            content.mediaType(), Jsonb.text(Jsonb.of(item.labels())), item.searchable(), content.sizeBytes(),
            content.sha256(), item.requestId(), now, now)
        .coerce(ITEMS.fields())
        .fetchOptional()
        .map(r -> toItem(r.into(ITEMS)));
  }

  /** A version row; never updated afterwards. */
  void insertVersion(
      DSLContext sql,
      UUID item,
      int version,
      UUID owner,
      UUID author,
      Content content,
      ContentStore.@Nullable Blob blob,
      byte @Nullable [] recordCiphertext,
      OffsetDateTime now) {
    sql.query(INSERT_VERSION, item, version, owner, author, content.mediaType(), content.sizeBytes(), content.sha256(),
            blob == null ? null : blob.id(), blob == null ? 0 : blob.segmentCount(), recordCiphertext, now)
        .execute();
  }

  // ---------------------------------------------------------------- CreateItem's one statement

  /** What {@code cairn.create_document} (V29) did; see its header for the outcomes. */
  record DocumentCreate(String outcome, @Nullable Item item) {}

  private static final String CREATE_DOCUMENT =
      "select r_outcome, r_id, r_display_name, r_media_type, r_labels, r_searchable, r_current_version,"
          + " r_size_bytes, r_content_sha256, r_revision, r_created_at, r_updated_at, r_deleted_at, r_purge_after,"
          + " r_kind, r_collection_id"
          + " from cairn.create_document(cast(? as uuid), cast(? as text), cast(? as text), cast(? as jsonb),"
          + " cast(? as bigint), cast(? as bytea), cast(nullif(cast(? as text), '') as uuid), cast(? as timestamptz),"
          + " cast(? as uuid),"
          + " cast(? as bytea[]), cast(? as bigint), cast(? as bytea), cast(? as jsonb), cast(? as text))";

  /**
   * A new document that no listener needs to see (not searchable) in one round trip: item,
   * segments, version 1 and the audit event {@code auditDetails} (JSON) under the caller's
   * row-level security, committed with the statement.
   */
  DocumentCreate createDocument(
      Database database, Principal caller, UUID id, Items.NewItem item, Content content,
      ContentStore.Sealed sealed, OffsetDateTime now, String auditDetails, String callRequestId) {
    return database.statement(caller, CREATE_DOCUMENT, p -> {
      p.set(1, id);
      p.set(2, item.displayName());
      p.set(3, content.mediaType());
      p.set(4, Jsonb.text(Jsonb.of(item.labels())));
      p.set(5, content.sizeBytes());
      p.set(6, content.sha256());
      // never a null: pgjdbc would send an untyped null and describe the statement first, with a
      // Sync that ends the implicit transaction before the statement runs (without the locals)
      p.set(7, item.requestId() == null ? "" : item.requestId().toString());
      p.set(8, now);
      p.set(9, sealed.blob().id());
      p.set(10, sealed.segments().toArray(new byte[0][]));
      p.set(11, sealed.key().kekId());
      p.set(12, sealed.key().keyset());
      p.set(13, auditDetails);
      p.set(14, callRequestId);
    }, rows -> {
      rows.next();
      return documentCreate(caller, rows);
    });
  }

  private static DocumentCreate documentCreate(Principal caller, ResultSet r) throws SQLException {
    String outcome = r.getString(1);
    UUID id = r.getObject(2, UUID.class);
    if (id == null) {
      return new DocumentCreate(outcome, null);
    }
    Item item = new Item(
        id, java.util.Objects.requireNonNull(caller.userId()), Kind.valueOf(r.getString(15)), r.getObject(16, UUID.class),
        r.getString(3), r.getString(4), Jsonb.stringMap(Jsonb.ofObjectText(r.getString(5))), r.getBoolean(6), r.getInt(7),
        r.getLong(8), r.getBytes(9), r.getLong(10), r.getObject(11, OffsetDateTime.class),
        r.getObject(12, OffsetDateTime.class), r.getObject(13, OffsetDateTime.class), r.getObject(14, OffsetDateTime.class));
    return new DocumentCreate(outcome, item);
  }

  /** Writes back a locked item's changeable columns (the caller made its next revision). */
  Item store(DSLContext sql, Item item) {
    sql.update(ITEMS)
        .set(ITEMS.DISPLAY_NAME, item.displayName())
        .set(ITEMS.MEDIA_TYPE, item.mediaType())
        .set(ITEMS.LABELS, Jsonb.of(item.labels()))
        .set(ITEMS.SEARCHABLE, item.searchable())
        .set(ITEMS.CURRENT_VERSION, item.version())
        .set(ITEMS.SIZE_BYTES, item.sizeBytes())
        .set(ITEMS.CONTENT_SHA256, item.sha256())
        .set(ITEMS.REVISION, item.revision())
        .set(ITEMS.UPDATED_AT, item.updatedAt())
        .set(ITEMS.DELETED_AT, item.deletedAt())
        .set(ITEMS.PURGE_AFTER, item.purgeAfter())
        .where(ITEMS.ID.eq(item.id()))
        .execute();
    return item;
  }

  /** The owner's items, or with sharedWithMe others' items a live grant opens to the caller. */
  List<Item> list(DSLContext sql, UUID caller, Filter filter, @Nullable PageToken after, int limit) {
    Condition where = filter.sharedWithMe()
        ? ITEMS.OWNER_ID.ne(caller)
            .and(Routines.grantRoleOn(ITEMS.OWNER_ID, ITEMS.ID, ITEMS.COLLECTION_ID).ge(1))
            .and(ITEMS.DELETED_AT.isNull())
        : ITEMS.OWNER_ID.eq(caller)
            .and(filter.showDeleted() ? DSL.noCondition() : ITEMS.DELETED_AT.isNull());
    where = where.and(filters(filter));
    var query = sql.selectFrom(ITEMS).where(where).orderBy(ITEMS.CREATED_AT.desc(), ITEMS.ID.desc());
    var rows = after == null
        ? query.limit(limit).fetch()
        : query.seek(after.time(), after.id()).limit(limit).fetch();
    return rows.map(ItemRepository::toItem);
  }

  private static Condition filters(Filter filter) {
    Condition c = DSL.noCondition();
    if (filter.kind() != null) {
      c = c.and(ITEMS.KIND.eq(filter.kind().name()));
    }
    if (filter.collection() != null) {
      UUID collection = ResourceNames.uuid(filter.collection().substring("collections/".length())).orElse(null);
      // a name that is no UUID names no collection: nothing matches
      c = c.and(collection == null ? DSL.falseCondition() : ITEMS.COLLECTION_ID.eq(collection));
    }
    for (String label : filter.labels()) {
      int eq = label.indexOf('=');
      if (eq < 0) {
        c = c.and(DSL.condition("jsonb_exists({0}, {1})", ITEMS.LABELS, DSL.val(label)));
      } else {
        var one = new TreeMap<String, String>();
        one.put(label.substring(0, eq), label.substring(eq + 1));
        // containment (@>) is what the GIN jsonb_path_ops index answers
        c = c.and(DSL.condition("{0} @> {1}", ITEMS.LABELS, DSL.val(Jsonb.of(one))));
      }
    }
    if (!filter.mediaType().isEmpty()) {
      var bare = DSL.lower(DSL.trim(DSL.splitPart(ITEMS.MEDIA_TYPE, DSL.inline(";"), DSL.inline(1))));
      String wanted = filter.mediaType().toLowerCase(Locale.ROOT);
      c = c.and(wanted.endsWith("/*")
          ? bare.startsWith(wanted.substring(0, wanted.length() - 1))
          : bare.eq(wanted));
    }
    return c;
  }

  /** Versions of an item the caller was already authorised for, newest first. */
  List<Version> versions(DSLContext sql, UUID item, @Nullable Integer before, int limit) {
    return sql.selectFrom(ITEM_VERSIONS)
        .where(ITEM_VERSIONS.ITEM_ID.eq(item))
        .and(before == null ? DSL.noCondition() : ITEM_VERSIONS.VERSION.lt(before))
        .orderBy(ITEM_VERSIONS.VERSION.desc())
        .limit(limit)
        .fetch()
        .map(ItemRepository::toVersion);
  }

  // ---------------------------------------------------------------- GetItem's one statement

  /** What {@code cairn.read_item} (V25) found; see its header for the outcomes. */
  record ItemRead(
      String outcome,
      @Nullable Item item,
      @Nullable UUID viaGrant,
      @Nullable UUID viaConsent,
      @Nullable StoredVersion version,
      List<byte[]> segments,
      DataKeys.@Nullable Wrapped key) {}

  static final String READ_ITEM =
      "select r_outcome, r_owner_id, r_kind, r_collection_id, r_display_name, r_media_type, r_labels,"
          + " r_searchable, r_current_version, r_size_bytes, r_content_sha256, r_revision, r_created_at,"
          + " r_updated_at, r_deleted_at, r_purge_after, r_via_grant, r_via_consent, r_version, r_author_id,"
          + " r_version_media_type, r_version_size_bytes, r_version_sha256, r_blob_id, r_segment_count,"
          + " r_record_ciphertext, r_version_created_at, r_segments, r_kek_id, r_wrapped_keyset"
          + " from cairn.read_item(?, ?, ?, ?, ?, ?, ?)";
  static final int READ_ITEM_PARAMETERS = 7;

  /**
   * GetItem in one round trip: access check, version, content and key, and (when it finds the
   * item readable) the audit event {@code action} queued in the owner's log, all under the
   * caller's row-level security.
   */
  ItemRead read(
      StatementBatcher<ItemRead> reads, Principal caller, UUID id, long version, boolean full, long inlineMax,
      AuditAction action, OffsetDateTime eventTime, String requestId) {
    return reads.run(caller, p -> {
      p.set(1, id);
      p.set(2, version);
      p.set(3, full);
      p.set(4, inlineMax);
      p.set(5, action.name());
      p.set(6, eventTime);
      p.set(7, requestId);
    }, rows -> {
      rows.next();
      return itemRead(id, rows);
    });
  }

  private static ItemRead itemRead(UUID id, ResultSet r) throws SQLException {
    String outcome = r.getString(1);
    UUID owner = r.getObject(2, UUID.class);
    if (owner == null) {
      return new ItemRead(outcome, null, null, null, null, List.of(), null);
    }
    Item item = new Item(
        id, owner, Kind.valueOf(r.getString(3)), r.getObject(4, UUID.class), r.getString(5), r.getString(6),
        Jsonb.stringMap(Jsonb.ofObjectText(r.getString(7))), r.getBoolean(8), r.getInt(9), r.getLong(10), r.getBytes(11),
        r.getLong(12), r.getObject(13, OffsetDateTime.class), r.getObject(14, OffsetDateTime.class),
        r.getObject(15, OffsetDateTime.class), r.getObject(16, OffsetDateTime.class));
    StoredVersion version = r.getObject(19) == null ? null : new StoredVersion(
        id, r.getInt(19), owner, r.getObject(20, UUID.class), r.getString(21), r.getLong(22), r.getBytes(23),
        r.getObject(24, UUID.class), r.getInt(25), r.getBytes(26), r.getObject(27, OffsetDateTime.class));
    List<byte[]> segments = List.of();
    Array array = r.getArray(28);
    if (array != null) {
      segments = List.of((byte[][]) array.getArray());
    }
    long kek = r.getLong(29);
    DataKeys.Wrapped key = r.wasNull() ? null : new DataKeys.Wrapped(kek, r.getBytes(30));
    return new ItemRead(outcome, item, r.getObject(17, UUID.class), r.getObject(18, UUID.class), version, segments, key);
  }

  // ---------------------------------------------------------------- purge

  /** Owners with items past their purge deadline (SECURITY DEFINER: ids only), at most {@code limit}. */
  List<UUID> ownersWithPurgeableItems(DSLContext sql, int limit) {
    var due = Routines.ownersWithPurgeableItems(limit);
    return sql.select(due.OWNERS_WITH_PURGEABLE_ITEMS_).from(due).fetch(due.OWNERS_WITH_PURGEABLE_ITEMS_);
  }

  /**
   * The owner's items past their purge deadline, locked; SKIP LOCKED lets several replicas
   * purge at once without waiting on (or purging twice) the same rows.
   */
  List<UUID> lockPurgeable(DSLContext sql, UUID owner, int limit) {
    return sql.select(ITEMS.ID)
        .from(ITEMS)
        .where(ITEMS.OWNER_ID.eq(owner))
        .and(ITEMS.PURGE_AFTER.le(Routines.now()))
        .orderBy(ITEMS.PURGE_AFTER)
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .fetch(ITEMS.ID);
  }

  /** Removes an item, its versions and record values (its content goes through ContentStore first). */
  void purge(DSLContext sql, UUID owner, UUID item) {
    sql.deleteFrom(RECORD_VALUES).where(RECORD_VALUES.OWNER_ID.eq(owner)).and(RECORD_VALUES.ITEM_ID.eq(item)).execute();
    sql.deleteFrom(ITEM_VERSIONS).where(ITEM_VERSIONS.OWNER_ID.eq(owner)).and(ITEM_VERSIONS.ITEM_ID.eq(item)).execute();
    sql.deleteFrom(ITEMS).where(ITEMS.OWNER_ID.eq(owner)).and(ITEMS.ID.eq(item)).execute();
  }

  // ---------------------------------------------------------------- mapping

  static Item toItem(ItemsRecord r) {
    return VaultAccess.toItem(r);
  }

  static Version toVersion(ItemVersionsRecord r) {
    return toVersion(ContentRepository.toStoredVersion(r));
  }

  static Version toVersion(StoredVersion v) {
    return new Version(
        v.itemId(), v.version(), v.authorId(), v.mediaType(), v.sizeBytes(), v.contentSha256(), v.createdAt());
  }
}
