package dev.cairn.server.access;

import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;

import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.ItemsRecord;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Jsonb;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * The vault's one authorisation rule, in SQL: a caller may act on an item they own, or on
 * one a live grant (on the item or its collection) opens to them at the needed role.
 * Anything else is NOT_FOUND, exactly as for an item that does not exist. Row-level
 * security enforces the same rule underneath (cairn.grant_role_on).
 */
public final class VaultAccess {

  /** Told about every refused item lookup, so the owner's audit chain can record the attempt. */
  @FunctionalInterface
  public interface DenialRecorder {
    void record(Caller caller, UUID itemId);
  }

  /** The columns {@link #item} reads the opening grant into. */
  private static final Field<UUID> VIA_GRANT = DSL.field(DSL.name("via_grant"), UUID.class);
  private static final Field<UUID> VIA_CONSENT = DSL.field(DSL.name("via_consent"), UUID.class);

  private final DenialRecorder denials;

  /** Records nothing when access is refused (for tests of the rule itself). */
  public VaultAccess() {
    this((caller, item) -> {});
  }

  public VaultAccess(DenialRecorder denials) {
    this.denials = denials;
  }

  /**
   * A lookup of item {@code id} that the caller's own statement found not visible (GetItem's
   * one statement): records the attempt for the owner, as {@link #item} does, and returns the
   * NOT_FOUND to throw.
   */
  public CairnException refused(Caller caller, UUID id) {
    denials.record(caller, id);
    return CairnException.notFound("items/" + id);
  }

  /** Roles in rank order; a grant of a role includes those below it. */
  public enum Role {
    READ,
    WRITE,
    SHARE;

    int rank() {
      return ordinal() + 1;
    }
  }

  /**
   * An item the caller may act on, and how: as owner (grant null) or through a grant (its
   * id and consent, for the audit log).
   */
  public record Access(Item item, @Nullable UUID grantId, @Nullable UUID consentId) {
    public UUID ownerId() {
      return item.ownerId();
    }

    public boolean isOwner() {
      return grantId == null;
    }
  }

  /**
   * Per role: the caller holds a live grant of at least that role on the item. Built once: the
   * routine call it renders is the same for every caller (the caller is the transaction's
   * identity), and building a routine field per statement was a measurable share of a search's
   * CPU (a map of its parameters filled on every call).
   */
  private static final Condition[] GRANTED = java.util.Arrays.stream(Role.values())
      .map(r -> Routines.grantRoleOn(ITEMS.OWNER_ID, ITEMS.ID, ITEMS.COLLECTION_ID).ge(DSL.inline(r.rank())))
      .toArray(Condition[]::new);

  /** Condition: the caller owns the item, or holds a live grant of at least {@code role}. */
  public static Condition visible(Principal caller, Role role) {
    if (!caller.isUser()) {
      return DSL.falseCondition();
    }
    return ITEMS.OWNER_ID.eq(caller.requireUserId()).or(GRANTED[role.ordinal()]);
  }

  /**
   * The item with {@code id}, if the caller may act on it at {@code role}, locked FOR UPDATE
   * when {@code forUpdate}; otherwise NOT_FOUND (never PERMISSION_DENIED: whether someone
   * else's item exists is not the caller's to learn). Deleted items are found only when
   * {@code includeDeleted}.
   *
   * <p>One statement judges visibility and picks the grant it came through, so a revocation
   * committing in between cannot leave a visible item without its grant. That grant is
   * locked FOR SHARE until the caller's transaction ends: every revocation locks the grant
   * FOR UPDATE first, so it waits for calls already acting through it, and the rest of such a
   * call (data key, content, audit) sees the grant it was allowed by. A call that meets the
   * grant being revoked waits, then finds it gone: NOT_FOUND, as on the next call.
   */
  public Access item(
      DSLContext sql, Caller caller, UUID id, Role role, boolean includeDeleted, boolean forUpdate) {
    String name = "items/" + id;
    if (!caller.isUser()) {
      denials.record(caller, id);
      throw CairnException.notFound(name);
    }
    UUID me = caller.requireUserId();
    Condition condition = ITEMS.ID.eq(id).and(visible(caller.principal(), role));
    if (!includeDeleted) {
      condition = condition.and(ITEMS.DELETED_AT.isNull());
    }
    Table<?> via = DSL.lateral(grantOpening(me, role)).as("via");
    var query = sql.select(ITEMS.asterisk(), via.field(VIA_GRANT), via.field(VIA_CONSENT))
        .from(ITEMS.leftJoin(via).on(DSL.trueCondition()))
        .where(condition);
    Record row = forUpdate ? query.forUpdate().of(ITEMS).fetchOne() : query.fetchOne();
    if (row == null || (!me.equals(row.get(ITEMS.OWNER_ID)) && row.get(VIA_GRANT) == null)) {
      // the owner (if there is one) learns of the attempt; the caller learns nothing
      denials.record(caller, id);
      throw CairnException.notFound(name);
    }
    Item item = toItem(row.into(ITEMS));
    if (item.ownerId().equals(me)) {
      return new Access(item, null, null);
    }
    return new Access(item, row.get(VIA_GRANT), row.get(VIA_CONSENT));
  }

  /** The domain item of an {@code items} row (the one mapping; ItemRepository's reads use it too). */
  public static Item toItem(ItemsRecord r) {
    return new Item(
        r.getId(),
        r.getOwnerId(),
        Item.Kind.valueOf(r.getKind()),
        r.getCollectionId(),
        r.getDisplayName(),
        r.getMediaType(),
        Jsonb.stringMap(r.getLabels()),
        r.getSearchable(),
        r.getCurrentVersion(),
        r.getSizeBytes(),
        r.getContentSha256(),
        r.getRevision(),
        r.getCreatedAt(),
        r.getUpdatedAt(),
        r.getDeletedAt(),
        r.getPurgeAfter());
  }

  /**
   * The strongest live grant that opens the outer query's item to {@code grantee} at
   * {@code role}, locked FOR SHARE (see {@link #item}). RLS lets a grantee lock its own
   * grants but not change them (V8).
   */
  private static org.jooq.Select<?> grantOpening(UUID grantee, Role role) {
    Field<Integer> rank =
        DSL.when(GRANTS.ROLE.eq("SHARE"), 3).when(GRANTS.ROLE.eq("WRITE"), 2).otherwise(1);
    return DSL.select(GRANTS.ID.as(VIA_GRANT), GRANTS.CONSENT_ID.as(VIA_CONSENT))
        .from(GRANTS)
        .where(GRANTS.GRANTEE_ID.eq(grantee))
        .and(GRANTS.OWNER_ID.eq(ITEMS.OWNER_ID))
        .and(GRANTS.ITEM_ID.eq(ITEMS.ID).or(GRANTS.COLLECTION_ID.eq(ITEMS.COLLECTION_ID)))
        .and(live())
        .and(rank.ge(role.rank()))
        .orderBy(rank.desc(), GRANTS.CREATED_AT, GRANTS.ID)
        .limit(1)
        .forShare();
  }

  /** A grant is live: not revoked, started, not expired (by the server's clock). */
  public static Condition live() {
    return LIVE;
  }

  /** {@link #live()}, built once: it holds no value of its own (the clock is the database's). */
  private static final Condition LIVE = liveGrant();

  private static Condition liveGrant() {
    Field<java.time.OffsetDateTime> now = Routines.now();
    return GRANTS.REVOKED_AT.isNull()
        .and(GRANTS.STARTS_AT.le(now))
        .and(GRANTS.EXPIRES_AT.isNull().or(GRANTS.EXPIRES_AT.gt(now)));
  }
}
