package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.client.testing.FakeIdentityServer;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CairnClientTest {

  private static final GetUserRequest ME = GetUserRequest.newBuilder().setName("users/me").build();

  private final FakeIdentityServer server = new FakeIdentityServer();

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void sendsTheTokenAsBearerAuthorization() {
    try (CairnClient client = server.clientBuilder().token("cairn_pat_abc_secret").build()) {
      assertThat(client.identity().getUser(ME).getUser()).isEqualTo(FakeIdentityServer.ME);
    }
    assertThat(server.headers.getFirst().get(BearerTokenCredentials.AUTHORIZATION))
        .isEqualTo("Bearer cairn_pat_abc_secret");
  }

  @Test
  void sendsNoAuthorizationWithoutAToken() {
    try (CairnClient client = server.clientBuilder().build()) {
      client.identity().getUser(ME);
    }
    assertThat(server.headers.getFirst().get(BearerTokenCredentials.AUTHORIZATION)).isNull();
  }

  @Test
  void appliesTheDefaultDeadlineToCallsWithoutOne() {
    try (CairnClient client = server.clientBuilder().defaultDeadline(Duration.ofSeconds(7)).build()) {
      client.identity().getUser(ME);
    }
    Deadline deadline = server.deadlines.getFirst();
    assertThat(deadline).isNotNull();
    assertThat(deadline.timeRemaining(TimeUnit.MILLISECONDS)).isBetween(5_000L, 7_000L);
  }

  @Test
  void appliesThirtySecondsByDefault() {
    try (CairnClient client = server.clientBuilder().build()) {
      client.identity().getUser(ME);
    }
    assertThat(server.deadlines.getFirst().timeRemaining(TimeUnit.SECONDS)).isBetween(25L, 30L);
  }

  @Test
  void aDeadlineSetOnTheStubWins() {
    try (CairnClient client = server.clientBuilder().build()) {
      client.identity().withDeadlineAfter(2, TimeUnit.MINUTES).getUser(ME);
    }
    assertThat(server.deadlines.getFirst().timeRemaining(TimeUnit.SECONDS)).isGreaterThan(100L);
  }

  @Test
  void retriesAReadAfterOneUnavailable() {
    server.failNext(Status.UNAVAILABLE.withDescription("database restarting").asRuntimeException());
    try (CairnClient client = server.clientBuilder().build()) {
      assertThat(client.identity().getUser(ME).getUser().getUsername()).isEqualTo("alice");
    }
    assertThat(server.requests).hasSize(2);
  }

  @Test
  void doesNotRetryAWriteWithoutRequestId() {
    server.failNext(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
    CreateApiTokenRequest request = CreateApiTokenRequest.newBuilder()
        .setParent("users/me").addScopes(TokenScope.TOKEN_SCOPE_READ).build();
    try (CairnClient client = server.clientBuilder().build()) {
      assertThatThrownBy(() -> client.identity().createApiToken(request))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
    assertThat(server.requests).hasSize(1);
  }

  @Test
  void doesNotRetryOtherCodes() {
    server.failNext(Status.INTERNAL.asRuntimeException());
    try (CairnClient client = server.clientBuilder().build()) {
      assertThatThrownBy(() -> client.identity().getUser(ME)).isInstanceOf(StatusRuntimeException.class);
    }
    assertThat(server.requests).hasSize(1);
  }

  @Test
  void retriesACreateUnderOneGeneratedRequestId() {
    server.failNext(Status.UNAVAILABLE.asRuntimeException());
    CreateUserRequest request = CreateUserRequest.newBuilder()
        .setUser(User.newBuilder().setUsername("bob")).build();
    try (CairnClient client = server.clientBuilder().build()) {
      client.identity().createUser(request);
    }
    assertThat(server.requests).hasSize(2);
    String first = ((CreateUserRequest) server.requests.get(0)).getRequestId();
    String second = ((CreateUserRequest) server.requests.get(1)).getRequestId();
    assertThat(first).isNotEmpty().isEqualTo(second);
  }

  @Test
  void keepsARequestIdTheCallerSet() {
    CreateUserRequest request = CreateUserRequest.newBuilder()
        .setUser(User.newBuilder().setUsername("bob"))
        .setRequestId("5f0c6a5e-8d4b-4a8e-9c1e-3f2b1a0d9e8c")
        .build();
    try (CairnClient client = server.clientBuilder().build()) {
      client.identity().createUser(request);
    }
    assertThat(((CreateUserRequest) server.requests.getFirst()).getRequestId())
        .isEqualTo("5f0c6a5e-8d4b-4a8e-9c1e-3f2b1a0d9e8c");
  }

  @Test
  void retriesWithoutRetriesOffAreNotMade() {
    server.failNext(Status.UNAVAILABLE.asRuntimeException());
    try (CairnClient client = server.clientBuilder().retries(false).build()) {
      assertThatThrownBy(() -> client.identity().getUser(ME)).isInstanceOf(StatusRuntimeException.class);
    }
    assertThat(server.requests).hasSize(1);
  }

  @Test
  void closeLeavesACallerOwnedChannelOpen() {
    var channel = io.grpc.inprocess.InProcessChannelBuilder.forName("unused").build();
    try {
      CairnClient.builder().channel(channel).build().close();
      assertThat(channel.isShutdown()).isFalse();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void rejectsAMalformedTlsVariable() {
    assertThatThrownBy(() -> CairnClient.builder().environment(Map.of("CAIRN_TLS", "maybe")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CAIRN_TLS: 'maybe' (expected: true or false)");
  }

  @Test
  void rejectsAnUnreadableCaFile() {
    assertThatThrownBy(() -> CairnClient.builder()
            .environment(Map.of("CAIRN_CA_FILE", "/nonexistent/ca.pem")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/nonexistent/ca.pem");
  }

  @Test
  void rejectsANonPositiveDeadline() {
    assertThatThrownBy(() -> CairnClient.builder().defaultDeadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
