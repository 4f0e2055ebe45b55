package dev.cairn.server.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.server.config.CairnConfig;
import dev.cairn.server.testing.CairnTestServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The laptop path: no database URL, so Cairn runs its own PostgreSQL under the data folder,
 * creates the demo user on the first start, and finds everything again on the next.
 */
class EmbeddedRestartTest {

  private static CairnConfig embedded(Path dataDir) {
    return CairnConfig.fromMap(Map.of(
        "CAIRN_DATA_DIR", dataDir.toString(),
        "CAIRN_GRPC_PORT", "0",
        "CAIRN_METRICS_PORT", "-1",
        "CAIRN_SHUTDOWN_GRACE_SECONDS", "1"));
  }

  private static String withClient(CairnServer server, String token, java.util.function.Function<IdentityServiceGrpc.IdentityServiceBlockingStub, String> call) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
    try {
      return call.apply(IdentityServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(token)));
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void firstStartCreatesDemoUserAndSecondStartKeepsUsersAndTokens(@TempDir Path dataDir) throws Exception {
    var console = new ByteArrayOutputStream();
    String demoToken;
    String extraToken;
    try (var first = CairnServer.start(embedded(dataDir), Clock.systemUTC(), new PrintStream(console, true, StandardCharsets.UTF_8))) {
      Path tokenFile = dataDir.resolve("demo-token");
      demoToken = Files.readString(tokenFile).trim();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
      assertThat(console.toString(StandardCharsets.UTF_8)).contains(demoToken);
      assertThat(withClient(first, demoToken, s -> s.getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser().getUsername()))
          .isEqualTo("demo");
      extraToken = withClient(first, demoToken, s -> s.createApiToken(CreateApiTokenRequest.newBuilder()
          .setParent("users/me").addScopes(TokenScope.TOKEN_SCOPE_READ).build()).getToken());
    }

    var secondConsole = new ByteArrayOutputStream();
    try (var second = CairnServer.start(embedded(dataDir), Clock.systemUTC(), new PrintStream(secondConsole, true, StandardCharsets.UTF_8))) {
      assertThat(secondConsole.toString(StandardCharsets.UTF_8)).as("the token is printed once only").doesNotContain(demoToken);
      assertThat(withClient(second, demoToken, s -> s.getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser().getUsername()))
          .isEqualTo("demo");
      assertThat(withClient(second, extraToken, s -> s.getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser().getUsername()))
          .isEqualTo("demo");
    }
  }
}
