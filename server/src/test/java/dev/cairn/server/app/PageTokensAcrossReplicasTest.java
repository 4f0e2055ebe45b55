package dev.cairn.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.ListApiTokensRequest;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.testing.CairnTestServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Page tokens are sealed with a key from the configuration, not the process: a page listed on
 * one replica continues on another (or after a restart) that shares the config, and a server
 * with another key refuses it.
 */
class PageTokensAcrossReplicasTest {

  static String randomKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  /** A user with three API tokens, made on {@code server}; the first page of their token list. */
  static ListApiTokensRequest.Builder firstPageOn(CairnServer server, ListApiTokensRequest.Builder request) {
    try (var call = new Calls(server)) {
      var admin = call.identity(CairnTestServer.ADMIN_TOKEN);
      User user = admin.createUser(CreateUserRequest.newBuilder()
          .setUser(User.newBuilder().setUsername("replica-" + UUID.randomUUID().toString().substring(0, 8))).build()).getUser();
      for (int i = 0; i < 3; i++) {
        admin.createApiToken(CreateApiTokenRequest.newBuilder().setParent(user.getName())
            .addScopes(TokenScope.TOKEN_SCOPE_READ).build());
      }
      request.setParent(user.getName()).setPageSize(2);
      return request.setPageToken(admin.listApiTokens(request.build()).getNextPageToken());
    }
  }

  static CairnServer start(Map<String, String> keys) {
    return CairnServer.start(CairnTestServer.config(keys), CairnTestServer.CLOCK, new PrintStream(PrintStream.nullOutputStream()));
  }

  @Test
  void replicasSharingTheKeyContinueEachOthersPagesAndAnotherKeyRefusesThem() {
    String audit = randomKey();
    try (CairnServer a = start(Map.of("CAIRN_AUDIT_HMAC_KEY", audit));
        CairnServer b = start(Map.of("CAIRN_AUDIT_HMAC_KEY", audit));
        CairnServer other = start(Map.of("CAIRN_AUDIT_HMAC_KEY", audit, "CAIRN_PAGE_TOKEN_KEY", randomKey()))) {
      var next = firstPageOn(a, ListApiTokensRequest.newBuilder());
      assertThat(next.getPageToken()).isNotEmpty();

      // no CAIRN_PAGE_TOKEN_KEY: both derive the key from the audit HMAC key they share
      try (var onB = new Calls(b)) {
        assertThat(onB.identity(CairnTestServer.ADMIN_TOKEN).listApiTokens(next.build()).getApiTokensCount()).isEqualTo(1);
      }
      // a configured page-token key replaces the derived one
      try (var onOther = new Calls(other)) {
        var e = catchThrowableOfType(StatusRuntimeException.class,
            () -> onOther.identity(CairnTestServer.ADMIN_TOKEN).listApiTokens(next.build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolations(0).getField()).isEqualTo("page_token");
      }
    }
  }

  /** A channel to one server. */
  static final class Calls implements AutoCloseable {
    private final ManagedChannel channel;

    Calls(CairnServer server) {
      channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
    }

    IdentityServiceGrpc.IdentityServiceBlockingStub identity(String token) {
      return IdentityServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(token));
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
