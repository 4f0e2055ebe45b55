package dev.cairn.server.vault.sharing;

import static dev.cairn.server.db.jooq.Tables.FIND_USER;
import static dev.cairn.server.db.jooq.Tables.ITEMS;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.vault.sharing.Sharing.UserInfo;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * The queries grants, links and consents share: users by name (through the SECURITY DEFINER
 * {@code find_user}) and "an item of this collection", which a collection grant covers.
 */
public final class SharingRepository {

  /** A live user by {@code users/{uuid}} or {@code users/{username}} segment. */
  public Optional<UserInfo> findUser(DSLContext sql, String ref) {
    return sql.selectFrom(FIND_USER(ref))
        .fetchOptional()
        .map(r -> new UserInfo(r.getId(), r.getUsername(), r.getDisplayName()));
  }

  /** The live user {@code name} ({@code users/...}) names, else NOT_FOUND. */
  public UserInfo resolveUser(DSLContext sql, String name) {
    String ref = name.substring(name.indexOf('/') + 1);
    return findUser(sql, ref).orElseThrow(() -> CairnException.notFound(name));
  }

  /** {@code itemField} names one of {@code owner}'s items in {@code collection}. */
  public static Condition itemInCollection(Field<UUID> itemField, UUID owner, UUID collection) {
    return itemField.in(
        DSL.select(ITEMS.ID).from(ITEMS).where(ITEMS.OWNER_ID.eq(owner)).and(ITEMS.COLLECTION_ID.eq(collection)));
  }
}
