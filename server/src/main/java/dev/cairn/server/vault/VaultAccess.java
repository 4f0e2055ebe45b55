package dev.cairn.server.vault;

import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;

import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.ItemsRecord;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.grpc.CallContext;
import dev.cairn.server.core.Principal;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
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
    void record(Principal caller, UUID itemId, String attemptedAction);
  }

  private final DenialRecorder denials;

  /** Records nothing when access is refused (for tests of the rule itself). */
  public VaultAccess() {
    this((caller, item, action) -> {});
  }

  public VaultAccess(DenialRecorder denials) {
    this.denials = denials;
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
  public record Access(ItemsRecord item, @Nullable UUID grantId, @Nullable UUID consentId) {
    public UUID ownerId() {
      return item.getOwnerId();
    }

    public boolean isOwner() {
      return grantId == null;
    }
  }

  /** Condition: the caller owns the item, or holds a live grant of at least {@code role}. */
  public static Condition visible(Principal caller, Role role) {
    if (!caller.isUser()) {
      return DSL.falseCondition();
    }
    return ITEMS.OWNER_ID.eq(caller.requireUserId())
        .or(Routines.grantRoleOn(ITEMS.OWNER_ID, ITEMS.ID, ITEMS.COLLECTION_ID).ge(role.rank()));
  }

  /**
   * The item with {@code id}, if the caller may act on it at {@code role}, locked FOR UPDATE
   * when {@code forUpdate}; otherwise NOT_FOUND (never PERMISSION_DENIED: whether someone
   * else's item exists is not the caller's to learn). Deleted items are found only when
   * {@code includeDeleted}.
   */
  public Access item(
      DSLContext sql, Principal caller, UUID id, Role role, boolean includeDeleted, boolean forUpdate) {
    String name = "items/" + id;
    Condition condition = ITEMS.ID.eq(id).and(visible(caller, role));
    if (!includeDeleted) {
      condition = condition.and(ITEMS.DELETED_AT.isNull());
    }
    var query = sql.selectFrom(ITEMS).where(condition);
    ItemsRecord item = forUpdate ? query.forUpdate().fetchOne() : query.fetchOne();
    if (item == null) {
      // the owner (if there is one) learns of the attempt; the caller learns nothing
      denials.record(caller, id, CallContext.method());
      throw CairnException.notFound(name);
    }
    if (item.getOwnerId().equals(caller.userId())) {
      return new Access(item, null, null);
    }
    var grant = liveGrant(sql, caller.requireUserId(), item, role);
    return new Access(item, grant.get(GRANTS.ID), grant.get(GRANTS.CONSENT_ID));
  }

  /** The strongest live grant that opens {@code item} to {@code grantee} at {@code role}. */
  private static org.jooq.Record2<UUID, UUID> liveGrant(
      DSLContext sql, UUID grantee, ItemsRecord item, Role role) {
    Field<Integer> rank =
        DSL.when(GRANTS.ROLE.eq("SHARE"), 3).when(GRANTS.ROLE.eq("WRITE"), 2).otherwise(1);
    return sql.select(GRANTS.ID, GRANTS.CONSENT_ID)
        .from(GRANTS)
        .where(GRANTS.GRANTEE_ID.eq(grantee))
        .and(GRANTS.OWNER_ID.eq(item.getOwnerId()))
        .and(GRANTS.ITEM_ID.eq(item.getId())
            .or(item.getCollectionId() == null ? DSL.falseCondition() : GRANTS.COLLECTION_ID.eq(item.getCollectionId())))
        .and(live())
        .and(rank.ge(role.rank()))
        .orderBy(rank.desc(), GRANTS.CREATED_AT)
        .limit(1)
        .fetchSingle();
  }

  /** A grant is live: not revoked, started, not expired (by the server's clock). */
  public static Condition live() {
    Field<java.time.OffsetDateTime> now = Routines.now();
    return GRANTS.REVOKED_AT.isNull()
        .and(GRANTS.STARTS_AT.le(now))
        .and(GRANTS.EXPIRES_AT.isNull().or(GRANTS.EXPIRES_AT.gt(now)));
  }
}
