package dev.cairn.server.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.CairnTestServer;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What operators and tools see: health, reflection and metrics, over real Netty. */
class ServerEndToEndTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  @Test
  void healthIsServingOnceStarted() {
    var health = HealthGrpc.newBlockingStub(cairn.channel());
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("cairn.identity.v1.IdentityService").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void reflectionListsEveryCairnService() throws Exception {
    var done = new CompletableFuture<ServerReflectionResponse>();
    var requests = ServerReflectionGrpc.newStub(cairn.channel()).serverReflectionInfo(new StreamObserver<>() {
      @Override public void onNext(ServerReflectionResponse r) { done.complete(r); }
      @Override public void onError(Throwable t) { done.completeExceptionally(t); }
      @Override public void onCompleted() {}
    });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    var services = done.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
        .map(s -> s.getName()).toList();
    requests.onCompleted();
    assertThat(services).containsAll(List.of(
        "cairn.identity.v1.IdentityService",
        "cairn.vault.v1.VaultService",
        "cairn.vault.v1.SharingService",
        "cairn.vault.v1.AuditService",
        "cairn.search.v1.SearchService",
        "cairn.chat.v1.ChatService",
        "grpc.health.v1.Health"));
  }

  @Test
  void metricsShowPerMethodGrpcCountersLatencyAndPoolGauges() throws Exception {
    var user = cairn.newUser("metrics");
    cairn.identity(user.token()).getUser(dev.cairn.identity.v1.GetUserRequest.newBuilder().setName("users/me").build());
    var body = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + cairn.server().metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(body)
        .contains("grpc_server_requests_received_messages_total{method=\"GetUser\"")
        .contains("grpc_server_processing_duration_seconds")
        .contains("method=\"GetUser\"")
        .contains("hikaricp_connections_active")
        .contains("jvm_memory_used_bytes");
  }

  @Test
  void metricsShowTheJobQueuePerKind() throws Exception {
    var body = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + cairn.server().metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(body)
        .contains("cairn_jobs_depth{kind=\"purge-owner\"}")
        .contains("cairn_jobs_oldest_age_seconds{kind=\"purge-owner\"}")
        .contains("cairn_jobs_failures_total{kind=\"purge-owner\"}")
        .contains("cairn_jobs_dead_total{kind=\"purge-owner\"}")
        .contains("cairn_jobs_completed_total{kind=\"purge-owner\"}");
  }
}
