package dev.cairn.server.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.UploadItemMetadata;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Shutdown drains: a call in flight when it starts still completes; health says NOT_SERVING. */
class GracefulShutdownTest {

  @Test
  void anUploadInFlightCompletesWhileTheServerDrains() throws Exception {
    var user = CairnTestServer.get().newUser("drain");
    var server = CairnServer.start(CairnTestServer.config(Map.of("CAIRN_SHUTDOWN_GRACE_SECONDS", "20")),
        Clock.systemUTC(), new PrintStream(PrintStream.nullOutputStream()));
    int port = server.grpcPort();
    var channel = NettyChannelBuilder.forAddress("localhost", port).usePlaintext().build();
    try {
      var done = new CompletableFuture<UploadItemResponse>();
      StreamObserver<UploadItemRequest> upload = VaultServiceGrpc.newStub(channel)
          .withCallCredentials(CairnTestServer.bearer(user.token()))
          .uploadItem(new StreamObserver<>() {
            @Override public void onNext(UploadItemResponse r) { done.complete(r); }
            @Override public void onError(Throwable t) { done.completeExceptionally(t); }
            @Override public void onCompleted() {}
          });
      upload.onNext(UploadItemRequest.newBuilder().setMetadata(UploadItemMetadata.newBuilder()
          .setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setMediaType("text/plain"))).build());
      upload.onNext(UploadItemRequest.newBuilder().setChunk(ByteString.copyFromUtf8("first half, ")).build());
      Thread.sleep(300); // the call is now in flight on the server

      var closing = CompletableFuture.runAsync(server::close);
      var health = HealthGrpc.newBlockingStub(channel);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      ServingStatus status = ServingStatus.SERVING;
      while (status == ServingStatus.SERVING && System.nanoTime() < until) {
        try {
          status = health.check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } catch (StatusRuntimeException e) {
          status = ServingStatus.NOT_SERVING; // refused outright: also not serving
        }
        Thread.sleep(50);
      }
      assertThat(status).isEqualTo(ServingStatus.NOT_SERVING);

      upload.onNext(UploadItemRequest.newBuilder().setChunk(ByteString.copyFromUtf8("second half")).build());
      upload.onCompleted();
      assertThat(done.get(15, TimeUnit.SECONDS).getItem().getSizeBytes()).isEqualTo("first half, second half".length());
      closing.get(30, TimeUnit.SECONDS);

      var fresh = NettyChannelBuilder.forAddress("localhost", port).usePlaintext().build();
      try {
        var refused = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class, () ->
            IdentityServiceGrpc.newBlockingStub(fresh).withDeadlineAfter(2, TimeUnit.SECONDS)
                .getUser(GetUserRequest.newBuilder().setName("users/me").build()));
        assertThat(refused.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);
      } finally {
        fresh.shutdownNow();
      }
    } finally {
      channel.shutdownNow();
      server.close();
    }
  }
}
