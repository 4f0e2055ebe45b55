package dev.cairn.server.identity;

import static dev.cairn.server.testing.CairnTestServer.bearer;
import static dev.cairn.server.testing.CairnTestServer.errorInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.DeleteUserRequest;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.IdentityServiceGrpc.IdentityServiceBlockingStub;
import dev.cairn.identity.v1.RevokeApiTokenRequest;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import com.google.protobuf.ByteString;
import dev.cairn.server.app.CairnServer;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.VaultServiceGrpc;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.MutableClock;
import dev.cairn.server.testing.TestDatabase;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The authentication cache across two replicas (two servers on one PostgreSQL). Both cache
 * for five minutes, so only invalidation (LISTEN/NOTIFY, and the sync before a cached answer)
 * can make a revocation, a deletion or a lost listener take effect on the very next call.
 */
class AuthCacheTest {
  /** How long to keep calling when a replica still accepts a changed token (then the test fails). */
  private static final Duration NOTIFY_BOUND = Duration.ofSeconds(5);

  private static final MutableClock clock = new MutableClock();
  private static Replica a;
  private static Replica b;

  /** One server with its own channel and /metrics. */
  private record Replica(CairnServer server, ManagedChannel channel) {
    static Replica start() {
      CairnServer server =
          CairnServer.start(
              CairnTestServer.config(Map.of("CAIRN_AUTH_CACHE_SECONDS", "300")),
              clock,
              new PrintStream(PrintStream.nullOutputStream()));
      return new Replica(
          server, NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build());
    }

    IdentityServiceBlockingStub identity(String token) {
      return IdentityServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(token));
    }

    User me(String token) {
      return identity(token).getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser();
    }

    double metric(String name, String labels) {
      return scrape(server.metricsPort(), name, labels);
    }

    void stop() {
      channel.shutdownNow();
      server.close();
    }
  }

  @BeforeAll
  static void startReplicas() {
    a = Replica.start();
    b = Replica.start();
  }

  @AfterAll
  static void stopReplicas() {
    b.stop();
    a.stop();
  }

  @Test
  void revokedTokenIsRefusedOnTheNextCallOnEveryReplica() {
    List<Long> delaysMicros = new ArrayList<>();
    int acceptedAfterRevoke = 0;
    for (int round = 0; round < 20; round++) {
      String owner = newUserToken("rev");
      var created = a.identity(owner).createApiToken(readToken());
      String token = created.getToken();
      useUntilCached(b, token);
      useUntilCached(a, token);

      a.identity(owner).revokeApiToken(
          RevokeApiTokenRequest.newBuilder().setName(created.getApiToken().getName()).build());

      var refused = firstRefusal(b, token);
      delaysMicros.add(refused.delayMicros());
      acceptedAfterRevoke += refused.accepted();
      assertThat(errorInfo(refused.error()).orElseThrow().getReason()).isEqualTo("TOKEN_REVOKED");
      // and the replica that revoked refuses it too, and keeps refusing on both
      assertThat(firstRefusal(a, token).accepted()).as("calls on A accepted after the change").isZero();
      assertThat(refusal(() -> b.me(token)).getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }
    report("revoke on A, refused on B", delaysMicros, acceptedAfterRevoke);
    assertThat(acceptedAfterRevoke).as("calls on B accepted after the revocation returned").isZero();
  }

  @Test
  void deletedUserIsRefusedOnTheNextCallOnEveryReplica() {
    List<Long> delaysMicros = new ArrayList<>();
    int acceptedAfterDelete = 0;
    for (int round = 0; round < 10; round++) {
      User user = newUser("del");
      String token = tokenFor(user);
      useUntilCached(b, token);
      useUntilCached(a, token);

      a.identity(CairnTestServer.ADMIN_TOKEN)
          .deleteUser(DeleteUserRequest.newBuilder().setName(user.getName()).build());

      var refused = firstRefusal(b, token);
      delaysMicros.add(refused.delayMicros());
      acceptedAfterDelete += refused.accepted();
      assertThat(firstRefusal(a, token).accepted()).as("calls on A accepted after the change").isZero();
    }
    report("DeleteUser on A, refused on B", delaysMicros, acceptedAfterDelete);
    assertThat(acceptedAfterDelete).as("calls on B accepted after DeleteUser returned").isZero();
  }

  @Test
  void userMarkedDeletedInTheDatabaseIsRefusedOnEveryReplica() throws SQLException {
    // the users trigger alone, without the token revocation DeleteUser also does today
    User user = newUser("gone");
    String token = tokenFor(user);
    useUntilCached(b, token);
    superuser("UPDATE cairn.users SET deleted_at = now() WHERE id = '" + id(user) + "'");
    var refused = firstRefusal(b, token);
    assertThat(refused.accepted()).isZero();
    assertThat(errorInfo(refused.error()).orElseThrow().getReason()).isEqualTo("TOKEN_REVOKED");
  }

  @Test
  void ownProfileChangedInTheDatabaseIsSeenOnTheNextGetUserOnEveryReplica() throws SQLException {
    User user = newUser("prof");
    String token = tokenFor(user);
    useUntilCached(b, token);
    useUntilCached(a, token);
    assertThat(b.me(token).getDisplayName()).isEqualTo(user.getDisplayName());

    superuser("UPDATE cairn.users SET display_name = 'Renamed' WHERE id = '" + id(user) + "'");

    // the first call after the change, on either replica
    assertThat(b.me(token).getDisplayName()).isEqualTo("Renamed");
    assertThat(a.me(token).getDisplayName()).isEqualTo("Renamed");
    assertThat(b.me(token).getName()).isEqualTo(user.getName());
  }

  @Test
  void ownProfileIsAnsweredFromTheTokensCacheEntry() throws SQLException {
    User user = newUser("memo");
    String token = tokenFor(user);
    useUntilCached(b, token);
    // a change no trigger reports (replica mode): only a replica that reads the database sees it
    try (Connection c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var statement = c.createStatement()) {
      statement.execute("SET session_replication_role = replica");
      statement.execute("UPDATE cairn.users SET display_name = 'Unannounced' WHERE id = '" + id(user) + "'");
    }
    assertThat(b.me(token).getDisplayName()).isEqualTo(user.getDisplayName());
    // the admin's lookup of the same user reads the database
    assertThat(b.identity(CairnTestServer.ADMIN_TOKEN)
            .getUser(GetUserRequest.newBuilder().setName(user.getName()).build()).getUser().getDisplayName())
        .isEqualTo("Unannounced");
  }

  @Test
  void aCachedOwnProfileIsServedToItsOwnerOnlyAndAnotherUsersStaysNotFound() {
    User owner = newUser("kept");
    String ownerToken = tokenFor(owner);
    User other = newUser("peer");
    String otherToken = tokenFor(other);
    useUntilCached(b, ownerToken);
    useUntilCached(b, otherToken);
    assertThat(b.me(ownerToken).getName()).isEqualTo(owner.getName()); // the owner's profile now cached

    var refused = catchThrowableOfType(StatusRuntimeException.class, () -> b.identity(otherToken)
        .getUser(GetUserRequest.newBuilder().setName(owner.getName()).build()));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(b.me(otherToken).getName()).isEqualTo(other.getName());
    assertThat(b.me(ownerToken).getName()).isEqualTo(owner.getName());
  }

  @Test
  void cacheIsFlushedAfterTheListenerReconnectsAndBypassedWhileItIsDown() throws SQLException {
    String checkedWhileDown = newUserToken("down");
    String revokedWhileDown = newUserToken("down");
    String revokedAndCheckedWhileDown = newUserToken("down");
    for (String token : List.of(checkedWhileDown, revokedWhileDown, revokedAndCheckedWhileDown)) {
      useUntilCached(b, token);
    }
    double reconnects = b.metric("cairn_db_listener_reconnects_total", "channel=\"cairn_auth\"");
    try {
      // keep the listeners from coming back until the revocations below have committed
      superuser("ALTER ROLE " + TestDatabase.APP_ROLE + " NOLOGIN");
      superuser("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
          + " WHERE application_name = 'cairn-auth-listener'");
      await("B stops serving from its cache", () -> b.metric("cairn_auth_cache_serving", "") == 0);

      double hits = b.metric("cairn_auth_cache_lookups_total", "result=\"hit\"");
      double bypassed = b.metric("cairn_auth_cache_lookups_total", "result=\"bypass\"");
      assertThat(b.me(checkedWhileDown).getName()).startsWith("users/");
      assertThat(b.metric("cairn_auth_cache_lookups_total", "result=\"hit\"")).isEqualTo(hits);
      assertThat(b.metric("cairn_auth_cache_lookups_total", "result=\"bypass\"")).isEqualTo(bypassed + 1);

      superuser("UPDATE cairn.api_tokens SET revoked_at = now() WHERE id IN ('"
          + tokenId(revokedWhileDown) + "', '" + tokenId(revokedAndCheckedWhileDown) + "')");
      // nobody heard that NOTIFY; while down, B asks the database on every call
      assertThat(errorInfo(refusal(() -> b.me(revokedAndCheckedWhileDown))).orElseThrow().getReason())
          .isEqualTo("TOKEN_REVOKED");
    } finally {
      superuser("ALTER ROLE " + TestDatabase.APP_ROLE + " LOGIN");
    }
    await("B listens again", () -> b.metric("cairn_auth_cache_serving", "") == 1);
    assertThat(b.metric("cairn_db_listener_reconnects_total", "channel=\"cairn_auth\"")).isGreaterThan(reconnects);

    assertThat(errorInfo(refusal(() -> b.me(revokedWhileDown))).orElseThrow().getReason())
        .isEqualTo("TOKEN_REVOKED");
    assertThat(errorInfo(refusal(() -> b.me(revokedAndCheckedWhileDown))).orElseThrow().getReason())
        .isEqualTo("TOKEN_REVOKED");
    // and the cache serves again
    useUntilCached(b, checkedWhileDown);
  }

  @Test
  void cachedTokenIsRefusedOnceItsExpiryPasses() {
    String owner = newUserToken("exp");
    String token =
        a.identity(owner)
            .createApiToken(readToken().toBuilder().setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build())
            .getToken();
    useUntilCached(b, token);
    try {
      // within the cache's five minutes, past the token's one
      clock.advance(Duration.ofSeconds(90));
      double hits = b.metric("cairn_auth_cache_lookups_total", "result=\"hit\"");
      var e = refusal(() -> b.me(token));
      assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("TOKEN_EXPIRED");
      assertThat(b.metric("cairn_auth_cache_lookups_total", "result=\"hit\"")).isEqualTo(hits + 1);
    } finally {
      clock.reset();
    }
  }

  @Test
  void wrongSecretForACachedTokenIdIsRefused() {
    String token = newUserToken("sec");
    useUntilCached(b, token);
    String wrong = token.substring(0, token.length() - 4) + (token.endsWith("0000") ? "1111" : "0000");
    double hits = b.metric("cairn_auth_cache_lookups_total", "result=\"hit\"");
    var e = refusal(() -> b.me(wrong));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("CREDENTIAL_INVALID");
    assertThat(b.metric("cairn_auth_cache_lookups_total", "result=\"hit\"")).isEqualTo(hits + 1);
    assertThat(b.me(token).getName()).startsWith("users/");
  }

  @Test
  void aRevocationNoReplicaHeardOfIsRefusedByTheFirstStatementOfTheNextCall() throws SQLException {
    String token = newUserToken("sql");
    Item item = document(b, token);
    useUntilCached(b, token);
    assertThat(read(b, token, item).getName()).isEqualTo(item.getName());
    // revoked behind the triggers (replica mode): no NOTIFY, so no listener's barrier can know
    try (Connection c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var statement = c.createStatement()) {
      statement.execute("SET session_replication_role = replica");
      statement.execute("UPDATE cairn.api_tokens SET revoked_at = now() WHERE id = '" + tokenId(token) + "'");
    }

    // GetItem's one statement checks the token at its snapshot, before it reads or audits anything
    var refused = refusal(() -> read(b, token, item));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(errorInfo(refused).orElseThrow().getReason()).isEqualTo("TOKEN_REVOKED");
    assertThat(errorInfo(refusal(() -> items(b, token).listItems(ListItemsRequest.getDefaultInstance())))
        .orElseThrow().getReason()).isEqualTo("TOKEN_REVOKED");
  }

  @Test
  void aCallRefusedBeforeAnyStatementStillAnswersUnauthenticatedForARevokedToken() {
    for (int round = 0; round < 10; round++) {
      String owner = newUserToken("gate");
      var created = a.identity(owner).createApiToken(readToken());
      String token = created.getToken();
      useUntilCached(b, token);

      a.identity(owner).revokeApiToken(
          RevokeApiTokenRequest.newBuilder().setName(created.getApiToken().getName()).build());

      // a malformed name is refused before any statement: the answer waits for the barrier first
      var refused = refusal(() -> items(b, token).getItem(GetItemRequest.newBuilder().setName("items/nope").build()));
      assertThat(refused.getStatus().getCode()).as("round %d", round).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(errorInfo(refused).orElseThrow().getReason()).isEqualTo("TOKEN_REVOKED");
    }
  }

  @Test
  void aCallWhoseStatementCheckedItsTokenWaitsForNoBarrierAndOneAnsweredFromMemoryDoes() {
    String token = newUserToken("fast");
    Item item = document(b, token);
    useUntilCached(b, token);
    read(b, token, item);
    double syncs = b.metric("cairn_auth_cache_sync_seconds_count", "");
    double deferred = b.metric("cairn_auth_cache_lookups_total", "result=\"deferred\"");

    for (int i = 0; i < 10; i++) {
      read(b, token, item);
    }
    assertThat(b.metric("cairn_auth_cache_lookups_total", "result=\"deferred\"")).isEqualTo(deferred + 10);
    assertThat(b.metric("cairn_auth_cache_sync_seconds_count", "")).as("barrier round trips for 10 GetItem").isEqualTo(syncs);

    b.me(token); // answered from the token's cache entry: no statement, so the barrier
    assertThat(b.metric("cairn_auth_cache_sync_seconds_count", "")).isEqualTo(syncs + 1);
  }

  // --- helpers

  private static VaultServiceGrpc.VaultServiceBlockingStub items(Replica replica, String token) {
    return VaultServiceGrpc.newBlockingStub(replica.channel()).withCallCredentials(bearer(token));
  }

  private static Item document(Replica replica, String token) {
    return items(replica, token).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT).setMediaType("text/plain").setDisplayName("notes")
        .setContent(ByteString.copyFromUtf8("hello"))).build()).getItem();
  }

  private static Item read(Replica replica, String token, Item item) {
    return items(replica, token).getItem(GetItemRequest.newBuilder().setName(item.getName()).build()).getItem();
  }

  private record Refusal(StatusRuntimeException error, int accepted, long delayMicros) {}

  /** Calls until refused (bounded); how many calls were still accepted, and after how long. */
  private static Refusal firstRefusal(Replica replica, String token) {
    long start = System.nanoTime();
    long deadline = start + NOTIFY_BOUND.toNanos();
    int accepted = 0;
    while (System.nanoTime() < deadline) {
      try {
        replica.me(token);
        accepted++;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
          return new Refusal(e, accepted, (System.nanoTime() - start) / 1000);
        }
        accepted++; // authenticated, then failed later (e.g. NOT_FOUND for a deleted user)
      }
    }
    throw new AssertionError("still accepted " + accepted + " calls " + NOTIFY_BOUND + " after the change");
  }

  /** Calls until the replica answers from its cache (the first call may load it). */
  private static void useUntilCached(Replica replica, String token) {
    double hits = replica.metric("cairn_auth_cache_lookups_total", "result=\"hit\"");
    replica.me(token);
    replica.me(token);
    assertThat(replica.metric("cairn_auth_cache_lookups_total", "result=\"hit\""))
        .as("hits on the replica's cache").isGreaterThan(hits);
  }

  private static void report(String what, List<Long> delaysMicros, int accepted) {
    List<Long> sorted = delaysMicros.stream().sorted().toList();
    System.out.printf("auth cache: %s: %d rounds, %d calls accepted after the change; time to first refusal"
            + " (us) median %d, max %d%n",
        what, sorted.size(), accepted, sorted.get(sorted.size() / 2), sorted.getLast());
  }

  private static StatusRuntimeException refusal(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("the call was accepted").isNotNull();
    return e;
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static User newUser(String prefix) {
    String username = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    return a.identity(CairnTestServer.ADMIN_TOKEN)
        .createUser(CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername(username)).build())
        .getUser();
  }

  private static String tokenFor(User user) {
    return a.identity(CairnTestServer.ADMIN_TOKEN)
        .createApiToken(readToken().toBuilder().setParent(user.getName()).addScopes(TokenScope.TOKEN_SCOPE_WRITE).build())
        .getToken();
  }

  private static String newUserToken(String prefix) {
    return tokenFor(newUser(prefix));
  }

  private static CreateApiTokenRequest readToken() {
    return CreateApiTokenRequest.newBuilder().setParent("users/me").addScopes(TokenScope.TOKEN_SCOPE_READ).build();
  }

  private static String id(User user) {
    return user.getName().substring("users/".length());
  }

  private static UUID tokenId(String token) {
    return TokenCodec.parse(token).orElseThrow().tokenId();
  }

  private static void superuser(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var statement = c.createStatement()) {
      statement.execute(sql);
    }
  }

  private static final HttpClient http = HttpClient.newHttpClient();

  /** One sample from a replica's /metrics ({@code labels} is the inside of the braces, or empty). */
  private static double scrape(int port, String name, String labels) {
    String body;
    try {
      body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    Pattern line = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$|^" + Pattern.quote(name) + " (\\S+)$");
    Matcher m = line.matcher(body);
    while (m.find()) {
      if (m.group(3) != null && labels.isEmpty()) {
        return Double.parseDouble(m.group(3));
      }
      if (m.group(1) != null && (labels.isEmpty() || m.group(1).contains(labels))) {
        return Double.parseDouble(m.group(2));
      }
    }
    throw new AssertionError("no sample " + name + "{" + labels + "} in /metrics");
  }
}
