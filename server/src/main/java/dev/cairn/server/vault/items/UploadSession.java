package dev.cairn.server.vault.items;

import dev.cairn.server.access.Item;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.vault.items.ItemService.UploadPlan;
import dev.cairn.server.vault.items.ItemService.UploadTarget;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;

/**
 * One UploadItem stream: metadata first, then `chunk` messages written through as they arrive
 * (each full 1 MiB segment encrypted and stored in its own short transaction), then one
 * transaction that stores the item or version. Memory stays at one segment: grpc-java asks for the next message
 * only when {@link #onNext} returns, so a slow database slows the client instead of filling
 * the heap. A failed or cancelled upload removes the segments it wrote (a grantee's too), so it leaves nothing.
 */
final class UploadSession implements StreamObserver<UploadItemRequest> {
  private final ItemService service;
  private final Caller caller;
  private final StreamObserver<UploadItemResponse> response;
  private @Nullable UploadPlan plan;
  private @Nullable UploadTarget target;
  private ContentStore.@Nullable BlobWriter writer;
  private boolean done;
  /** Once finishUpload runs, it settles the write token itself. */
  private boolean finishing;

  UploadSession(ItemService service, Caller caller, StreamObserver<UploadItemResponse> response) {
    this.service = service;
    this.caller = caller;
    this.response = response;
  }

  @Override
  public void onNext(UploadItemRequest request) {
    if (done) {
      return;
    }
    try {
      if (plan == null) {
        begin(request);
      } else {
        write(request);
      }
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  private void begin(UploadItemRequest request) {
    if (!request.hasMetadata()) {
      throw CairnException.invalidField("metadata", "missing (expected: the first message carries metadata)");
    }
    UploadPlan p = ItemsRpc.uploadPlan(request.getMetadata());
    UploadTarget t = service.beginUpload(caller, p);
    plan = p;
    target = t;
    if (t.replay() == null) {
      writer = service.store().newBlob(caller.principal(), t.owner(), t.itemId());
    }
  }

  private void write(UploadItemRequest request) {
    if (!request.hasChunk()) {
      throw CairnException.invalidField("chunk", "missing (expected: only the first message carries metadata)");
    }
    if (writer != null) {
      writer.write(request.getChunk().toByteArray(), maxBytes());
    } // else a retried upload already stored: consume and discard
  }

  private long maxBytes() {
    return service.maxItemBytes();
  }

  @Override
  public void onCompleted() {
    if (done) {
      return;
    }
    try {
      if (plan == null || target == null) {
        throw CairnException.invalidField("metadata", "missing (expected: a metadata message, then chunks)");
      }
      Item stored = target.replay();
      if (stored == null) {
        ContentStore.Blob blob = writer.finish();
        finishing = true;
        stored = service.finishUpload(caller, target, plan, blob);
      }
      done = true;
      response.onNext(UploadItemResponse.newBuilder().setItem(ItemsRpc.toProto(stored, null)).build());
      response.onCompleted();
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  /** The client cancelled or the transport failed: nothing of this upload stays. */
  @Override
  public void onError(Throwable t) {
    if (!done) {
      done = true;
      abandon();
    }
  }

  private void fail(RuntimeException e) {
    done = true;
    abandon();
    response.onError(e);
  }

  private void abandon() {
    if (target != null && writer != null) {
      if (!finishing) {
        service.giveBackWrite(caller);
      }
      service.discardBlob(target.owner(), writer.blobId());
    }
  }
}
