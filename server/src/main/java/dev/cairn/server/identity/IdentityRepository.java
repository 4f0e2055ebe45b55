package dev.cairn.server.identity;

import static dev.cairn.server.db.jooq.Tables.API_TOKENS;
import static dev.cairn.server.db.jooq.Tables.AUTHENTICATE_TOKEN;
import static dev.cairn.server.db.jooq.Tables.USERS;

import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.ApiTokensRecord;
import dev.cairn.server.db.jooq.tables.records.AuthenticateTokenRecord;
import dev.cairn.server.db.jooq.tables.records.UsersRecord;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * jOOQ queries for users and tokens. Every query names the owner it is for; row-level
 * security enforces the same rule underneath.
 */
final class IdentityRepository {

  /** The token as authentication keeps it (SECURITY DEFINER function: one row or none). */
  Optional<StoredToken> findTokenForAuthentication(DSLContext sql, UUID tokenId) {
    return sql.selectFrom(AUTHENTICATE_TOKEN(tokenId)).fetchOptional().map(row -> stored(tokenId, row));
  }

  private static StoredToken stored(UUID tokenId, AuthenticateTokenRecord row) {
    return new StoredToken(
        tokenId,
        row.getOwnerId(),
        row.getSecretSha256(),
        Arrays.stream(row.getScopes()).map(Principal.Scope::valueOf).collect(Collectors.toSet()),
        row.getExpiresAt() == null ? null : row.getExpiresAt().toInstant(),
        row.getRevokedAt() != null,
        Boolean.TRUE.equals(row.getOwnerDeleted()),
        new AtomicReference<>(row.getLastUsedAt() == null ? null : row.getLastUsedAt().toInstant()),
        new AtomicReference<>());
  }

  void touchToken(DSLContext sql, UUID tokenId) {
    Routines.touchToken(sql.configuration(), tokenId);
  }

  /** Inserts unless the request id or username exists; returns the row for the request id. */
  Optional<Users.User> insertUser(
      DSLContext sql, UUID id, String username, String displayName, @Nullable UUID requestId) {
    int inserted =
        sql.insertInto(USERS)
            .set(USERS.ID, id)
            .set(USERS.USERNAME, username)
            .set(USERS.DISPLAY_NAME, displayName)
            .set(USERS.CREATE_REQUEST_ID, requestId)
            .onConflictDoNothing()
            .execute();
    if (inserted == 1) {
      return findUser(sql, id);
    }
    if (requestId == null) {
      return Optional.empty();
    }
    return sql.selectFrom(USERS)
        .where(USERS.CREATE_REQUEST_ID.eq(requestId))
        .and(USERS.DELETED_AT.isNull())
        .fetchOptional()
        .map(IdentityRepository::user);
  }

  /**
   * GetUser's one read (users/me on every call of many clients): a constant prepared
   * statement, where jOOQ rendered the same SELECT anew each time.
   */
  private static final String FIND_USER =
      "select id, username, display_name, created_at from cairn.users"
          + " where id = ? and deleted_at is null";

  Optional<Users.User> findUser(DSLContext sql, UUID id) {
    return sql.connectionResult(c -> {
      try (PreparedStatement select = c.prepareStatement(FIND_USER)) {
        select.setObject(1, id);
        try (ResultSet row = select.executeQuery()) {
          if (!row.next()) {
            return Optional.empty();
          }
          return Optional.of(new Users.User(row.getObject(1, UUID.class), row.getString(2),
              row.getString(3), row.getObject(4, OffsetDateTime.class)));
        }
      }
    });
  }

  /** As {@link #findUser(DSLContext, UUID)}, as {@code caller} in one round trip (GetUser). */
  Optional<Users.User> findUser(Database database, Principal caller, UUID id) {
    return database.statement(caller, FIND_USER, p -> p.set(1, id), row -> {
      if (!row.next()) {
        return Optional.empty();
      }
      return Optional.of(new Users.User(row.getObject(1, UUID.class), row.getString(2),
          row.getString(3), row.getObject(4, OffsetDateTime.class)));
    });
  }

  Optional<Users.User> findUserByUsername(DSLContext sql, String username) {
    return sql.selectFrom(USERS)
        .where(USERS.USERNAME.eq(username))
        .and(USERS.DELETED_AT.isNull())
        .fetchOptional()
        .map(IdentityRepository::user);
  }

  long countUsers(DSLContext sql) {
    return sql.fetchCount(USERS);
  }

  /**
   * Marks the user deleted, revokes all their tokens and ends every share they took part in
   * (grants, links and consents they gave or were given), each ended share an event in its
   * owner's audit chain, all in the caller's transaction;
   * false if there was no such user.
   */
  boolean deleteUser(DSLContext sql, UUID id, String requestId) {
    int updated =
        sql.update(USERS)
            .set(USERS.DELETED_AT, DSL.currentOffsetDateTime())
            .where(USERS.ID.eq(id))
            .and(USERS.DELETED_AT.isNull())
            .execute();
    if (updated == 0) {
      return false;
    }
    sql.update(API_TOKENS)
        .set(API_TOKENS.REVOKED_AT, DSL.currentOffsetDateTime())
        .where(API_TOKENS.OWNER_ID.eq(id))
        .and(API_TOKENS.REVOKED_AT.isNull())
        .execute();
    // RLS lets neither the admin nor the user update other owners' grants to the user: the
    // one SECURITY DEFINER function for it acts only on a user marked deleted
    Routines.endSharingOfDeletedUser(sql.configuration(), id, requestId); // and audits each end
    return true;
  }

  Users.Token insertToken(
      DSLContext sql,
      UUID id,
      UUID ownerId,
      byte[] secretSha256,
      String displayName,
      List<Principal.Scope> scopes,
      @Nullable OffsetDateTime expiresAt) {
    return token(
        sql.insertInto(API_TOKENS)
            .set(API_TOKENS.ID, id)
            .set(API_TOKENS.OWNER_ID, ownerId)
            .set(API_TOKENS.SECRET_SHA256, secretSha256)
            .set(API_TOKENS.DISPLAY_NAME, displayName)
            .set(API_TOKENS.SCOPES, scopes.stream().map(Enum::name).toArray(String[]::new))
            .set(API_TOKENS.EXPIRES_AT, expiresAt)
            .returning()
            .fetchSingle());
  }

  /** Newest first, keyset-paged on (created_at, id). */
  List<Users.Token> listTokens(
      DSLContext sql, UUID ownerId, boolean includeInactive, @Nullable PageToken after, int limit) {
    Condition condition = API_TOKENS.OWNER_ID.eq(ownerId);
    if (!includeInactive) {
      condition =
          condition
              .and(API_TOKENS.REVOKED_AT.isNull())
              .and(API_TOKENS.EXPIRES_AT.isNull().or(API_TOKENS.EXPIRES_AT.gt(DSL.currentOffsetDateTime())));
    }
    var query =
        sql.selectFrom(API_TOKENS)
            .where(condition)
            .orderBy(API_TOKENS.CREATED_AT.desc(), API_TOKENS.ID.desc());
    var rows =
        after == null
            ? query.limit(limit).fetch()
            : query.seek(after.time(), after.id()).limit(limit).fetch();
    return rows.map(IdentityRepository::token);
  }

  Optional<Users.Token> revokeToken(DSLContext sql, UUID ownerId, UUID tokenId) {
    sql.update(API_TOKENS)
        .set(API_TOKENS.REVOKED_AT, DSL.currentOffsetDateTime())
        .where(API_TOKENS.OWNER_ID.eq(ownerId))
        .and(API_TOKENS.ID.eq(tokenId))
        .and(API_TOKENS.REVOKED_AT.isNull())
        .execute();
    return sql.selectFrom(API_TOKENS)
        .where(API_TOKENS.OWNER_ID.eq(ownerId))
        .and(API_TOKENS.ID.eq(tokenId))
        .fetchOptional()
        .map(IdentityRepository::token);
  }

  private static Users.User user(UsersRecord r) {
    return new Users.User(r.getId(), r.getUsername(), r.getDisplayName(), r.getCreatedAt());
  }

  private static Users.Token token(ApiTokensRecord r) {
    return new Users.Token(
        r.getId(),
        r.getOwnerId(),
        r.getDisplayName(),
        Arrays.stream(r.getScopes()).map(Principal.Scope::valueOf).collect(Collectors.toSet()),
        r.getCreatedAt(),
        r.getExpiresAt(),
        r.getRevokedAt(),
        r.getLastUsedAt());
  }
}
