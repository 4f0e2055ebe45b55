package dev.cairn.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Duration;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.MutableClock;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.PrintStream;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * CairnServer takes its transport: a test can run a whole server in-process, without a port,
 * with its own clock that no other test shares.
 */
class InProcessServerTest {

  @Test
  void aServerOnAnInProcessTransportServesWithItsOwnClock() {
    String name = "cairn-in-process-" + UUID.randomUUID();
    var clock = new MutableClock();
    try (CairnServer server = CairnServer.start(
            CairnTestServer.config(Map.of()), clock, new PrintStream(PrintStream.nullOutputStream()),
            InProcessServerBuilder.forName(name));
        var channel = new Closing(InProcessChannelBuilder.forName(name).build())) {
      var admin = IdentityServiceGrpc.newBlockingStub(channel.channel)
          .withCallCredentials(CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN));
      User user = admin.createUser(CreateUserRequest.newBuilder()
          .setUser(User.newBuilder().setUsername("inproc-" + UUID.randomUUID().toString().substring(0, 8))).build()).getUser();
      String token = admin.createApiToken(CreateApiTokenRequest.newBuilder().setParent(user.getName())
          .addScopes(TokenScope.TOKEN_SCOPE_READ).setTtl(Duration.newBuilder().setSeconds(3600)).build()).getToken();
      var asUser = IdentityServiceGrpc.newBlockingStub(channel.channel).withCallCredentials(CairnTestServer.bearer(token));
      assertThat(asUser.getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser().getName()).isEqualTo(user.getName());

      clock.advance(java.time.Duration.ofHours(2)); // this server's clock only
      var e = catchThrowableOfType(StatusRuntimeException.class,
          () -> asUser.getUser(GetUserRequest.newBuilder().setName("users/me").build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(CairnTestServer.CLOCK.instant()).isBefore(clock.instant());
    }
  }

  private record Closing(ManagedChannel channel) implements AutoCloseable {
    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
