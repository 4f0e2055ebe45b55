package dev.cairn.client.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.cairn.client.CairnClient;
import dev.cairn.vault.v1.AccessLink;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.AuditServiceGrpc;
import dev.cairn.vault.v1.CreateAccessLinkRequest;
import dev.cairn.vault.v1.CreateAccessLinkResponse;
import dev.cairn.vault.v1.CreateConsentRequest;
import dev.cairn.vault.v1.CreateConsentResponse;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateGrantResponse;
import dev.cairn.vault.v1.DownloadItemMetadata;
import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.DownloadItemResponse;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemVersion;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListAuditEventsResponse;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.ListItemsResponse;
import dev.cairn.vault.v1.RedeemAccessLinkRequest;
import dev.cairn.vault.v1.RedeemAccessLinkResponse;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import dev.cairn.vault.v1.VaultServiceGrpc;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import dev.cairn.vault.v1.VerifyAuditLogResponse;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An in-process stand-in for the vault's three services that records what the CLI sent and
 * answers with canned messages. It proves only the client side (parsing, request building,
 * streaming, output); the real services are tested end to end in the server module.
 */
public final class FakeVaultServer implements AutoCloseable {
  private final String name = InProcessServerBuilder.generateName();
  private final Server server;

  public final List<Message> requests = new CopyOnWriteArrayList<>();
  public final List<Metadata> headers = new CopyOnWriteArrayList<>();
  /** Chunks an UploadItem stream carried, in order. */
  public final List<ByteString> uploadedChunks = new CopyOnWriteArrayList<>();
  /** What DownloadItem and RedeemAccessLink send. */
  public volatile byte[] content = "hello, vault\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  public volatile boolean corruptDownload;
  public volatile VerifyAuditLogResponse verification =
      VerifyAuditLogResponse.newBuilder().setVerified(true).setEventsChecked(3).setHeadSeq(3)
          .setHeadHash(ByteString.copyFrom(new byte[32])).build();

  public FakeVaultServer() {
    ServerInterceptor recordHeaders = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata metadata, ServerCallHandler<ReqT, RespT> next) {
        headers.add(metadata);
        return next.startCall(call, metadata);
      }
    };
    try {
      server = InProcessServerBuilder.forName(name)
          .addService(ServerInterceptors.intercept(new Vault(), recordHeaders))
          .addService(ServerInterceptors.intercept(new Sharing(), recordHeaders))
          .addService(ServerInterceptors.intercept(new Audit(), recordHeaders))
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public CairnClient.Builder clientBuilder() {
    return CairnClient.builder().channelBuilder(InProcessChannelBuilder.forName(name));
  }

  @SuppressWarnings("unchecked")
  public <T extends Message> T request(Class<T> type) {
    return (T) requests.stream().filter(type::isInstance).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " received; got " + requests));
  }

  @Override
  public void close() {
    try {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private final class Vault extends VaultServiceGrpc.VaultServiceImplBase {
    @Override
    public StreamObserver<UploadItemRequest> uploadItem(StreamObserver<UploadItemResponse> response) {
      return new StreamObserver<>() {
        @Override
        public void onNext(UploadItemRequest value) {
          if (value.hasMetadata()) {
            requests.add(value);
          } else {
            uploadedChunks.add(value.getChunk());
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          response.onNext(UploadItemResponse.newBuilder()
              .setItem(Item.newBuilder().setName("items/up1").setVersion(1).setDisplayName("uploaded"))
              .build());
          response.onCompleted();
        }
      };
    }

    @Override
    public void downloadItem(DownloadItemRequest request, StreamObserver<DownloadItemResponse> response) {
      requests.add(request);
      byte[] bytes = content;
      byte[] hash = sha256(bytes);
      if (corruptDownload) {
        hash[0] ^= 1;
      }
      response.onNext(DownloadItemResponse.newBuilder().setMetadata(DownloadItemMetadata.newBuilder()
          .setItem(Item.newBuilder().setName(request.getName()))
          .setVersion(ItemVersion.newBuilder().setName(request.getName() + "/versions/1").setVersion(1)
              .setSizeBytes(bytes.length).setContentSha256(ByteString.copyFrom(hash)))).build());
      for (int at = 0; at < bytes.length; at += 1024 * 1024) {
        response.onNext(DownloadItemResponse.newBuilder()
            .setChunk(ByteString.copyFrom(bytes, at, Math.min(1024 * 1024, bytes.length - at))).build());
      }
      response.onCompleted();
    }

    @Override
    public void listItems(ListItemsRequest request, StreamObserver<ListItemsResponse> response) {
      requests.add(request);
      response.onNext(ListItemsResponse.newBuilder()
          .addItems(Item.newBuilder().setName("items/i1").setDisplayName("passport.pdf").setMediaType("application/pdf")
              .setSizeBytes(2048).setVersion(2).putLabels("kind", "id"))
          .build());
      response.onCompleted();
    }
  }

  private final class Sharing extends SharingServiceGrpc.SharingServiceImplBase {
    @Override
    public void createGrant(CreateGrantRequest request, StreamObserver<CreateGrantResponse> response) {
      requests.add(request);
      response.onNext(CreateGrantResponse.newBuilder().setGrant(request.getGrant().toBuilder().setName("grants/g1")).build());
      response.onCompleted();
    }

    @Override
    public void createAccessLink(CreateAccessLinkRequest request, StreamObserver<CreateAccessLinkResponse> response) {
      requests.add(request);
      AccessLink link = request.getAccessLink().toBuilder().setName("accessLinks/l1").build();
      response.onNext(CreateAccessLinkResponse.newBuilder().setAccessLink(link).setToken("cairn_lnk_l1_s3cret").build());
      response.onCompleted();
    }

    @Override
    public void redeemAccessLink(RedeemAccessLinkRequest request, StreamObserver<RedeemAccessLinkResponse> response) {
      requests.add(request);
      response.onNext(RedeemAccessLinkResponse.newBuilder()
          .setItem(Item.newBuilder().setName("items/i1").setVersion(1).setContent(ByteString.copyFrom(content)))
          .setRemainingUses(0)
          .build());
      response.onCompleted();
    }

    @Override
    public void createConsent(CreateConsentRequest request, StreamObserver<CreateConsentResponse> response) {
      requests.add(request);
      response.onNext(CreateConsentResponse.newBuilder()
          .setConsent(request.getConsent().toBuilder().setName("consents/c1").addGrants("grants/g9")).build());
      response.onCompleted();
    }
  }

  private final class Audit extends AuditServiceGrpc.AuditServiceImplBase {
    @Override
    public void listAuditEvents(ListAuditEventsRequest request, StreamObserver<ListAuditEventsResponse> response) {
      requests.add(request);
      response.onNext(ListAuditEventsResponse.newBuilder()
          .addAuditEvents(AuditEvent.newBuilder().setSeq(7).setActor("users/bob").setAction(AuditEvent.Action.ACTION_ITEM_READ)
              .setTarget("items/i1").setGrant("grants/g1").setOutcome(AuditEvent.Outcome.OUTCOME_SUCCESS))
          .build());
      response.onCompleted();
    }

    @Override
    public void verifyAuditLog(VerifyAuditLogRequest request, StreamObserver<VerifyAuditLogResponse> response) {
      requests.add(request);
      response.onNext(verification);
      response.onCompleted();
    }
  }
}
