package dev.cairn.client.cli;

import com.google.protobuf.ByteString;
import dev.cairn.client.CairnClient;
import dev.cairn.vault.v1.UploadItemMetadata;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * Streams a file to UploadItem in 1 MiB chunks with flow control: the next chunk is read from
 * disk only when the transport is ready for it, so a large file never sits in memory and a
 * slow server slows the reader instead of filling a buffer.
 */
final class Uploads {
  static final int CHUNK = 1024 * 1024;

  private Uploads() {}

  static UploadItemResponse upload(CairnClient client, UploadItemMetadata metadata, Path file, Progress progress) {
    var call = new Call();
    StreamObserver<UploadItemRequest> requests = client.vaultAsync().uploadItem(call);
    requests.onNext(UploadItemRequest.newBuilder().setMetadata(metadata).build());
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[CHUNK];
      int n;
      while ((n = in.readNBytes(buffer, 0, CHUNK)) > 0) {
        if (!call.awaitReady()) {
          break; // the server has already answered (an error): stop sending
        }
        requests.onNext(UploadItemRequest.newBuilder().setChunk(ByteString.copyFrom(buffer, 0, n)).build());
        progress.advance(n);
      }
    } catch (IOException e) {
      requests.onError(io.grpc.Status.CANCELLED.withDescription("could not read the file").asRuntimeException());
      throw new UncheckedIOException("cannot read " + file, e);
    }
    requests.onCompleted();
    try {
      return call.result.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof StatusRuntimeException status) {
        throw status;
      }
      throw e;
    }
  }

  /** SHA-256 of the file, read once ahead of the upload so the server can check what it stored. */
  static byte[] sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return ((DigestInputStream) in).getMessageDigest().digest();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The response side of the call, and a gate that opens when the transport wants more. */
  private static final class Call implements ClientResponseObserver<UploadItemRequest, UploadItemResponse> {
    final CompletableFuture<UploadItemResponse> result = new CompletableFuture<>();
    private final Object ready = new Object();
    private @Nullable ClientCallStreamObserver<UploadItemRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<UploadItemRequest> requestStream) {
      this.requests = requestStream;
      requestStream.setOnReadyHandler(this::wake);
    }

    /** Waits until another message may be sent; false once the call has ended. */
    boolean awaitReady() {
      synchronized (ready) {
        while (requests != null && !requests.isReady() && !result.isDone()) {
          try {
            ready.wait(100); // the timeout covers a wake-up that raced the check
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requests.cancel("interrupted", e);
            return false;
          }
        }
      }
      return !result.isDone();
    }

    private void wake() {
      synchronized (ready) {
        ready.notifyAll();
      }
    }

    @Override
    public void onNext(UploadItemResponse value) {
      result.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
      wake();
    }

    @Override
    public void onCompleted() {
      if (!result.isDone()) {
        result.completeExceptionally(io.grpc.Status.INTERNAL
            .withDescription("the server ended the upload without a response").asRuntimeException());
      }
      wake();
    }
  }
}
