package dev.cairn.server.vault.items;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.grpc.CallContext;
import dev.cairn.server.grpc.ProtoTime;
import dev.cairn.server.access.Item.Kind;
import dev.cairn.server.vault.items.Items.NewItem;
import dev.cairn.vault.v1.AppendUploadRequest;
import dev.cairn.vault.v1.AppendUploadResponse;
import dev.cairn.vault.v1.CancelUploadRequest;
import dev.cairn.vault.v1.CancelUploadResponse;
import dev.cairn.vault.v1.CompleteUploadRequest;
import dev.cairn.vault.v1.CompleteUploadResponse;
import dev.cairn.vault.v1.CreateUploadRequest;
import dev.cairn.vault.v1.CreateUploadResponse;
import dev.cairn.vault.v1.GetUploadRequest;
import dev.cairn.vault.v1.GetUploadResponse;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.Upload;
import io.grpc.stub.StreamObserver;
import java.util.UUID;

/** The resumable upload RPCs of {@code cairn.vault.v1.VaultService}: proto in, {@link ResumableUploads}, proto out. */
public final class UploadsRpc {
  private final ResumableUploads uploads;

  UploadsRpc(ResumableUploads uploads) {
    this.uploads = requireNonNull(uploads, "uploads");
  }

  public void createUpload(CreateUploadRequest request, StreamObserver<CreateUploadResponse> response) {
    Upload upload = request.getUpload();
    Item item = upload.getItem();
    if (item.hasContent() || item.hasData()) {
      throw CairnException.invalidField("upload.item", "carries no content or data (expected: bytes in AppendUpload)");
    }
    UUID target = upload.getTarget().isEmpty() ? null : ResourceNames.idOf(upload.getTarget());
    Kind kind = item.getKind() == Item.Kind.KIND_RECORD ? Kind.RECORD : Kind.DOCUMENT;
    var template = new NewItem(kind, item.getCollection().isEmpty() ? null : ResourceNames.idOf(item.getCollection()),
        item.getDisplayName(), item.getMediaType(), item.getLabelsMap(), item.getSearchable(), null, null, null);
    var created = uploads.create(CallContext.caller(), new ResumableUploads.Request(
        target, template, upload.getEtag(), upload.getSizeBytes(),
        upload.getContentSha256().isEmpty() ? null : upload.getContentSha256().toByteArray(),
        ResourceNames.requestId(request.getRequestId())));
    response.onNext(CreateUploadResponse.newBuilder().setUpload(toProto(created)).build());
    response.onCompleted();
  }

  public void appendUpload(AppendUploadRequest request, StreamObserver<AppendUploadResponse> response) {
    var upload = uploads.append(CallContext.caller(), id(request.getName()), request.getOffset(), request.getData().toByteArray());
    response.onNext(AppendUploadResponse.newBuilder().setUpload(toProto(upload)).build());
    response.onCompleted();
  }

  public void getUpload(GetUploadRequest request, StreamObserver<GetUploadResponse> response) {
    var upload = uploads.get(CallContext.caller(), id(request.getName()));
    response.onNext(GetUploadResponse.newBuilder().setUpload(toProto(upload)).build());
    response.onCompleted();
  }

  public void completeUpload(CompleteUploadRequest request, StreamObserver<CompleteUploadResponse> response) {
    var done = uploads.complete(CallContext.caller(), id(request.getName()));
    response.onNext(CompleteUploadResponse.newBuilder()
        .setItem(ItemsRpc.toProto(done.item(), null))
        .setUpload(toProto(done.upload()))
        .build());
    response.onCompleted();
  }

  public void cancelUpload(CancelUploadRequest request, StreamObserver<CancelUploadResponse> response) {
    uploads.cancel(CallContext.caller(), id(request.getName()));
    response.onNext(CancelUploadResponse.getDefaultInstance());
    response.onCompleted();
  }

  private static UUID id(String name) {
    return ResourceNames.idOf(name);
  }

  private static Upload toProto(ResumableUploads.Upload u) {
    var item = Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT)
        .setDisplayName(u.displayName())
        .setMediaType(u.mediaType())
        .putAllLabels(u.labels())
        .setSearchable(u.searchable());
    var b = Upload.newBuilder()
        .setName("uploads/" + u.id())
        .setItem(item)
        .setEtag(u.etag())
        .setSizeBytes(u.sizeBytes())
        .setCommittedBytes(u.committedBytes())
        .setState(u.completed() ? Upload.State.STATE_COMPLETED : Upload.State.STATE_ACTIVE)
        .setCreateTime(ProtoTime.timestamp(u.createdAt()))
        .setExpireTime(ProtoTime.timestamp(u.expireAt()));
    if (u.target() != null) {
      b.setTarget(Items.name(u.target()));
    }
    if (u.sha256() != null) {
      b.setContentSha256(ByteString.copyFrom(u.sha256()));
    }
    if (u.resultItem() != null) {
      b.setResultItem(Items.name(u.resultItem()));
    }
    return b.build();
  }
}
