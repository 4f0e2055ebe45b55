package dev.cairn.server.identity;

import dev.cairn.server.core.Now;
import dev.cairn.server.core.ResourceNames;
import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.Database;
import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Principal;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Identity rules: who may create, see and delete users and tokens. Users see themselves;
 * the admin sees everyone; nobody else learns whether a user exists.
 */
public final class IdentityService {
  private final Database database;
  private final PageTokens pageTokens;
  private final IdentityRepository repository = new IdentityRepository();
  private final TokenCodec codec;
  private final Clock clock;
  private final Supplier<UUID> ids;
  private final List<UserDeletionListener> deletionListeners;
  private final TokenAuthenticator tokens;

  /** Lets other areas (the vault's crypto-shredding) act in the same transaction as a deletion. */
  @FunctionalInterface
  public interface UserDeletionListener {
    void onUserDeleted(org.jooq.DSLContext sql, UUID userId);
  }

  public IdentityService(
      Database database,
      PageTokens pageTokens,
      SecureRandom random,
      Clock clock,
      Supplier<UUID> ids,
      List<UserDeletionListener> deletionListeners,
      TokenAuthenticator tokens) {
    this.database = requireNonNull(database, "database");
    this.pageTokens = requireNonNull(pageTokens, "pageTokens");
    this.codec = new TokenCodec(requireNonNull(random, "random"));
    this.clock = requireNonNull(clock, "clock");
    this.ids = requireNonNull(ids, "ids");
    this.deletionListeners = List.copyOf(deletionListeners);
    this.tokens = requireNonNull(tokens, "tokens");
  }

  Users.User createUser(
      Principal caller, String username, String displayName, @Nullable UUID requestId) {
    if (!caller.admin()) {
      throw CairnException.permissionDenied("only the admin token may create users");
    }
    return database.transaction(
        caller,
        sql ->
            repository
                .insertUser(sql, ids.get(), username, displayName, requestId)
                .orElseThrow(
                    () -> CairnException.alreadyExists("username " + username + " is taken")));
  }

  /** For bootstrap: creates a user and a read/write token without an admin call. */
  public String createUserWithToken(String username, String displayName, String tokenName) {
    Usernames.check(username);
    UUID userId = ids.get();
    Principal self = Principal.system(userId);
    return database.transaction(
        Principal.forAdmin(),
        sql -> {
          repository
              .insertUser(sql, userId, username, displayName, null)
              .orElseThrow(() -> CairnException.alreadyExists("username " + username + " is taken"));
          return mint(sql, self, userId, tokenName, List.of(Principal.Scope.READ, Principal.Scope.WRITE), null)
              .bearer();
        });
  }

  /** True when no user exists yet (first start). */
  public boolean hasNoUsers() {
    return database.transaction(Principal.forAdmin(), sql -> repository.countUsers(sql) == 0);
  }

  /**
   * A user's own row comes from their token's cache entry once read (no statement per call);
   * the admin's lookups, and every lookup while the cache may not serve, read the database.
   */
  Users.User getUser(Principal caller, UserRef ref) {
    UUID id = resolve(caller, ref);
    return (id.equals(caller.userId())
            ? tokens.ownProfile(caller, () -> repository.findUser(database, caller, id))
            : repository.findUser(database, caller, id))
        .orElseThrow(() -> CairnException.notFound(ref.name()));
  }

  void deleteUser(Caller caller, UserRef ref) {
    UUID id = resolve(caller.principal(), ref);
    database.transaction(
        caller,
        sql -> {
          if (!repository.deleteUser(sql, id, caller.requestId())) {
            throw CairnException.notFound(ref.name());
          }
          for (UserDeletionListener listener : deletionListeners) {
            listener.onUserDeleted(sql, id);
          }
          return null;
        });
  }

  Users.NewToken createToken(
      Principal caller,
      UserRef owner,
      String displayName,
      List<Principal.Scope> scopes,
      @Nullable Duration ttl) {
    UUID ownerId = resolve(caller, owner);
    return database.transaction(
        caller,
        sql -> {
          repository.findUser(sql, ownerId).orElseThrow(() -> CairnException.notFound(owner.name()));
          return mint(sql, caller, ownerId, displayName, scopes, ttl);
        });
  }

  private Users.NewToken mint(
      org.jooq.DSLContext sql,
      Principal caller,
      UUID ownerId,
      String displayName,
      List<Principal.Scope> scopes,
      @Nullable Duration ttl) {
    if (!caller.admin() && !caller.scopes().containsAll(scopes)) {
      throw CairnException.permissionDenied("a token cannot grant scopes its creator lacks");
    }
    TokenCodec.Minted minted = codec.mint();
    OffsetDateTime expires =
        ttl == null ? null : Now.of(clock).plus(ttl);
    Users.Token token =
        repository.insertToken(
            sql, minted.tokenId(), ownerId, minted.secretSha256(), displayName, scopes, expires);
    return new Users.NewToken(token, minted.token());
  }

  Users.TokenPage listTokens(
      Principal caller, UserRef owner, boolean includeInactive, int pageSize, String pageToken) {
    UUID ownerId = resolve(caller, owner);
    var binding = PageBinding.of(caller, "ListApiTokens").with("parent", ownerId).with("show_inactive", includeInactive);
    PageToken after = pageTokens.decode(pageToken, binding, PageToken::read);
    int limit = PageTokens.pageSize(pageSize, 50, 1000);
    List<Users.Token> rows =
        database.transaction(
            caller, sql -> repository.listTokens(sql, ownerId, includeInactive, after, limit + 1));
    var p = pageTokens.page(rows, limit, binding, r -> new PageToken(r.createdAt(), r.id()));
    return new Users.TokenPage(p.rows(), p.nextPageToken());
  }

  Users.Token revokeToken(Principal caller, UserRef owner, String tokenName, String tokenId) {
    UUID ownerId = resolve(caller, owner);
    UUID id = ResourceNames.uuid(tokenId).orElseThrow(() -> CairnException.notFound(tokenName));
    return database.transaction(
        caller,
        sql -> repository.revokeToken(sql, ownerId, id).orElseThrow(() -> CairnException.notFound(tokenName)));
  }

  /**
   * The user a name refers to, as far as the caller may act on it: themselves, or anyone for
   * the admin. Anyone else is NOT_FOUND, exactly as if they did not exist.
   */
  private static UUID resolve(Principal caller, UserRef ref) {
    if (ref.isMe()) {
      if (!caller.isUser()) {
        throw CairnException.notFound(ref.name());
      }
      return caller.requireUserId();
    }
    UUID id = ref.id().orElseThrow(() -> CairnException.notFound(ref.name()));
    if (caller.admin() || id.equals(caller.userId())) {
      return id;
    }
    throw CairnException.notFound(ref.name());
  }
}
