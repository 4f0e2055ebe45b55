package dev.cairn.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.cairn.client.testing.FakeIdentityServer;
import dev.cairn.identity.v1.ApiToken;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.ListApiTokensRequest;
import dev.cairn.identity.v1.ListApiTokensResponse;
import dev.cairn.identity.v1.RevokeApiTokenRequest;
import dev.cairn.identity.v1.TokenScope;
import io.grpc.protobuf.StatusProto;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CairnCliTest {

  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  private final FakeIdentityServer server = new FakeIdentityServer();
  private final List<ConnectionSettings> connections = new CopyOnWriteArrayList<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Map<String, String> env = Map.of();

  @AfterEach
  void stop() {
    server.close();
  }

  private int run(String... args) {
    ClientFactory factory = settings -> {
      connections.add(settings);
      return server.clientBuilder().token(settings.token()).build();
    };
    return new CairnCli(factory, new PrintWriter(out), new PrintWriter(err), env, Clock.fixed(NOW, ZoneOffset.UTC))
        .execute(args);
  }

  @Test
  void tokenCreateSendsScopeAndTtl() {
    int exit = run("token", "create", "--scope", "read", "--ttl", "30d");

    assertThat(exit).isZero();
    CreateApiTokenRequest request = (CreateApiTokenRequest) server.requests.getFirst();
    assertThat(request.getParent()).isEqualTo("users/me");
    assertThat(request.getScopesList()).containsExactly(TokenScope.TOKEN_SCOPE_READ);
    assertThat(request.getTtl().getSeconds()).isEqualTo(30L * 24 * 3600);
    assertThat(out.toString()).contains("cairn_pat_t1_s3cret", FakeIdentityServer.ME.getName() + "/apiTokens/t1");
    assertThat(err.toString()).contains("not shown again");
  }

  @Test
  void tokenCreateTakesSeveralScopesAndAName() {
    assertThat(run("token", "create", "--name", "laptop", "--scope", "read,write", "--ttl", "1d12h")).isZero();

    CreateApiTokenRequest request = (CreateApiTokenRequest) server.requests.getFirst();
    assertThat(request.getDisplayName()).isEqualTo("laptop");
    assertThat(request.getScopesList()).containsExactly(TokenScope.TOKEN_SCOPE_READ, TokenScope.TOKEN_SCOPE_WRITE);
    assertThat(request.getTtl().getSeconds()).isEqualTo(36L * 3600);
  }

  @Test
  void tokenCreateDefaultsToReadScopeAndNoExpiry() {
    assertThat(run("token", "create")).isZero();

    CreateApiTokenRequest request = (CreateApiTokenRequest) server.requests.getFirst();
    assertThat(request.getScopesList()).containsExactly(TokenScope.TOKEN_SCOPE_READ);
    assertThat(request.hasTtl()).isFalse();
  }

  @Test
  void aBadTtlIsAUsageError() {
    assertThat(run("token", "create", "--ttl", "soon")).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("'soon' is not a duration");
    assertThat(server.requests).isEmpty();
  }

  @Test
  void anUnknownScopeIsAUsageError() {
    assertThat(run("token", "create", "--scope", "admin")).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("--scope", "admin");
  }

  @Test
  void whoamiPrintsTheCaller() {
    assertThat(run("--token", "cairn_pat_a_b", "whoami")).isZero();

    assertThat(out.toString()).contains("alice", FakeIdentityServer.ME.getName(), "Alice Liddell");
    assertThat(server.headers.getFirst().get(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("Bearer cairn_pat_a_b");
  }

  @Test
  void whoamiPrintsJson() {
    assertThat(run("whoami", "--output", "json")).isZero();

    assertThat(out.toString()).contains("\"username\": \"alice\"", "\"displayName\": \"Alice Liddell\"");
  }

  @Test
  void globalOptionsWorkAfterTheSubcommandAndFallBackToTheEnvironment() {
    env = Map.of("CAIRN_TARGET", "cairn.example.com:443", "CAIRN_TOKEN", "from-env", "CAIRN_TLS", "true");

    assertThat(run("token", "list", "--target", "localhost:6000")).isZero();
    assertThat(run("whoami")).isZero();

    assertThat(connections.get(0)).isEqualTo(new ConnectionSettings("localhost:6000", "from-env", true, null, false));
    assertThat(connections.get(1).target()).isEqualTo("cairn.example.com:443");
  }

  @Test
  void aServerErrorExitsOneWithTheReason() {
    server.failNext(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Code.NOT_FOUND_VALUE)
        .setMessage("api token not found")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("NOT_FOUND").setDomain("cairn.dev").build()))
        .build()));

    assertThat(run("token", "revoke", "t9")).isEqualTo(CairnCli.SERVER_ERROR);

    assertThat(err.toString()).startsWith("error: NOT_FOUND (NOT_FOUND): api token not found");
    assertThat(((RevokeApiTokenRequest) server.requests.getFirst()).getName()).isEqualTo("users/me/apiTokens/t9");
  }

  @Test
  void tokenListShowsATableWithStatus() {
    server.tokens = ListApiTokensResponse.newBuilder()
        .addApiTokens(ApiToken.newBuilder()
            .setName("users/u/apiTokens/live").setDisplayName("laptop")
            .addScopes(TokenScope.TOKEN_SCOPE_READ).addScopes(TokenScope.TOKEN_SCOPE_WRITE)
            .setCreateTime(at("2026-01-01T00:00:00Z")))
        .addApiTokens(ApiToken.newBuilder()
            .setName("users/u/apiTokens/old").addScopes(TokenScope.TOKEN_SCOPE_READ)
            .setCreateTime(at("2025-01-01T00:00:00Z")).setExpireTime(at("2025-02-01T00:00:00Z")))
        .build();

    assertThat(run("token", "list", "--all")).isZero();

    assertThat(((ListApiTokensRequest) server.requests.getFirst()).getShowInactive()).isTrue();
    assertThat(out.toString().lines().toList()).containsExactly(
        "ID    NAME    SCOPES      CREATED               EXPIRES               LAST USED  STATUS",
        "live  laptop  read,write  2026-01-01T00:00:00Z  -                     -          active",
        "old   -       read        2025-01-01T00:00:00Z  2025-02-01T00:00:00Z  -          expired");
  }

  @Test
  void userCreateSendsTheUsernameAndDisplayName() {
    assertThat(run("user", "create", "bob", "--display-name", "Bob Builder")).isZero();

    CreateUserRequest request = (CreateUserRequest) server.requests.getFirst();
    assertThat(request.getUser().getUsername()).isEqualTo("bob");
    assertThat(request.getUser().getDisplayName()).isEqualTo("Bob Builder");
    assertThat(out.toString()).contains("bob", "Bob Builder");
  }

  @Test
  void aMissingCommandIsAUsageError() {
    assertThat(run()).isEqualTo(CairnCli.USAGE);
    assertThat(run("token")).isEqualTo(CairnCli.USAGE);
    assertThat(run("frobnicate")).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("Usage: cairn");
  }

  @Test
  void helpWorksOnEverySubcommand() {
    assertThat(run("token", "create", "--help")).isZero();
    assertThat(out.toString()).contains("--scope", "--ttl");
  }

  private static Timestamp at(String instant) {
    return Timestamp.newBuilder().setSeconds(Instant.parse(instant).getEpochSecond()).build();
  }
}
