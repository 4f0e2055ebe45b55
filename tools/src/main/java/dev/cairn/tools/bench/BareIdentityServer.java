package dev.cairn.tools.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.GetItemResponse;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.VaultServiceGrpc;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.GetUserResponse;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.User;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark baseline: a bare grpc-java server that answers {@code IdentityService.GetUser} with a
 * fixed {@link User} and {@code VaultService.GetItem} with a fixed 4 KiB document. No interceptors, no authentication, no validation, no metrics, no database, so
 * that Cairn's latency and throughput divided by this server's measure exactly what Cairn adds.
 *
 * <p>It runs calls on virtual threads like the Cairn server does, so the executor is not part of the
 * difference. Loopback only. Usage: {@code java -cp tools/target/cairn-tools.jar
 * dev.cairn.tools.bench.BareIdentityServer [port]} (port 0 picks a free one; the bound port is printed
 * as {@code listening on 127.0.0.1:<port>}).
 */
public final class BareIdentityServer {

  private static final GetUserResponse FIXED =
      GetUserResponse.newBuilder()
          .setUser(
              User.newBuilder()
                  .setName("users/0b4a1c8e-4a43-4f0e-9a55-3c0e8e2f5d10")
                  .setUsername("demo")
                  .setDisplayName("Demo User")
                  .setCreateTime(Timestamp.newBuilder().setSeconds(1_767_225_600L)))
          .build();

  private BareIdentityServer() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .executor(executor)
            .addService(new FixedIdentity())
            .addService(new FixedVault())
            .build()
            .start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdown();
                  try {
                    server.awaitTermination(5, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  executor.shutdownNow();
                }));
    System.out.println("listening on 127.0.0.1:" + server.getPort());
    System.out.flush();
    server.awaitTermination();
  }

  /** A 4 KiB document, the size tools/bench/ghz.sh reads from Cairn. */
  private static final GetItemResponse FIXED_ITEM =
      GetItemResponse.newBuilder()
          .setItem(
              Item.newBuilder()
                  .setName("items/6f1f7d1e-0c5e-4a59-9d0e-2b8d5f0c9a11")
                  .setKind(Item.Kind.KIND_DOCUMENT)
                  .setDisplayName("bench")
                  .setMediaType("application/octet-stream")
                  .setContent(ByteString.copyFrom(new byte[4096]))
                  .setCreateTime(Timestamp.newBuilder().setSeconds(1_767_225_600L)))
          .build();

  /** GetItem only, answering every name with the same document. */
  private static final class FixedVault extends VaultServiceGrpc.VaultServiceImplBase {
    @Override
    public void getItem(GetItemRequest request, StreamObserver<GetItemResponse> responseObserver) {
      responseObserver.onNext(FIXED_ITEM);
      responseObserver.onCompleted();
    }
  }

  /** GetUser only; every other method stays UNIMPLEMENTED. */
  private static final class FixedIdentity extends IdentityServiceGrpc.IdentityServiceImplBase {
    @Override
    public void getUser(GetUserRequest request, StreamObserver<GetUserResponse> responseObserver) {
      responseObserver.onNext(FIXED);
      responseObserver.onCompleted();
    }
  }
}
