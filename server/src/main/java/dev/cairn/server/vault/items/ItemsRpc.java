package dev.cairn.server.vault.items;

import dev.cairn.server.core.ResourceNames;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.grpc.CallContext;
import dev.cairn.server.core.Caller;
import dev.cairn.server.grpc.ProtoTime;
import dev.cairn.server.vault.RecordJson;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.items.Items.Changes;
import dev.cairn.server.vault.items.Items.Filter;
import dev.cairn.server.access.Item.Kind;
import dev.cairn.server.vault.items.Items.NewItem;
import dev.cairn.server.vault.items.Items.Version;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.CreateItemResponse;
import dev.cairn.vault.v1.DeleteItemRequest;
import dev.cairn.vault.v1.DeleteItemResponse;
import dev.cairn.vault.v1.DownloadItemMetadata;
import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.DownloadItemResponse;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.GetItemResponse;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemVersion;
import dev.cairn.vault.v1.ItemView;
import dev.cairn.vault.v1.ListItemVersionsRequest;
import dev.cairn.vault.v1.ListItemVersionsResponse;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.ListItemsResponse;
import dev.cairn.vault.v1.UndeleteItemRequest;
import dev.cairn.vault.v1.UndeleteItemResponse;
import dev.cairn.vault.v1.UpdateItemRequest;
import dev.cairn.vault.v1.UpdateItemResponse;
import dev.cairn.vault.v1.UploadItemMetadata;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The item RPCs of {@code cairn.vault.v1.VaultService}: proto in, {@link ItemService}, proto out. */
public final class ItemsRpc {
  private final ItemService service;
  private final UploadsRpc uploads;

  /**
   * @param records checks record data against collection schemas
   * @param listeners told of every item change, in its transaction, in this order
   */
  public ItemsRpc(VaultContext vault, RecordValidator records, List<ItemListener> listeners) {
    this.service = new ItemService(
        requireNonNull(vault, "vault"), requireNonNull(records, "records"), requireNonNull(listeners, "listeners"));
    this.uploads = new UploadsRpc(new ResumableUploads(vault, service));
  }

  /** The resumable upload RPCs, over the same item rules. */
  public UploadsRpc uploads() {
    return uploads;
  }

  public void createItem(CreateItemRequest request, StreamObserver<CreateItemResponse> response) {
    Item item = request.getItem();
    Kind kind = kind(item.getKind());
    var created = service.create(CallContext.caller(), new NewItem(
        kind,
        item.getCollection().isEmpty() ? null : ResourceNames.idOf(item.getCollection()),
        item.getDisplayName(),
        kind == Kind.RECORD ? ItemService.RECORD_MEDIA_TYPE : item.getMediaType(),
        item.getLabelsMap(),
        item.getSearchable(),
        kind == Kind.DOCUMENT ? item.getContent().toByteArray() : null,
        item.hasData() ? item.getData() : null,
        ResourceNames.requestId(request.getRequestId())));
    response.onNext(CreateItemResponse.newBuilder().setItem(toProto(created, null)).build());
    response.onCompleted();
  }

  public StreamObserver<UploadItemRequest> uploadItem(StreamObserver<UploadItemResponse> response) {
    return new UploadSession(service, CallContext.caller(), response);
  }

  /** The plan an upload's first message describes. */
  static ItemService.UploadPlan uploadPlan(UploadItemMetadata metadata) {
    Item item = metadata.getItem();
    UUID itemId = metadata.getName().isEmpty() ? null : ResourceNames.idOf(metadata.getName());
    Kind kind = itemId != null || item.getKind() == Item.Kind.KIND_DOCUMENT ? Kind.DOCUMENT : Kind.RECORD;
    var template = new NewItem(kind, null, item.getDisplayName(), item.getMediaType(), item.getLabelsMap(),
        item.getSearchable(), null, null, ResourceNames.requestId(metadata.getRequestId()));
    if (item.hasContent() || item.hasData()) {
      throw CairnException.invalidField("metadata.item", "carries no content or data (expected: content in chunk messages)");
    }
    return new ItemService.UploadPlan(itemId, template, metadata.getEtag(), metadata.getSizeBytes(),
        metadata.getContentSha256().isEmpty() ? null : metadata.getContentSha256().toByteArray());
  }

  public void getItem(GetItemRequest request, StreamObserver<GetItemResponse> response) {
    boolean full = request.getView() == ItemView.ITEM_VIEW_FULL;
    var read = service.get(CallContext.caller(), ResourceNames.idOf(request.getName()), request.getVersion(), full);
    Item.Builder item = builder(read.item(), read.version());
    if (read.payload() != null) {
      if (read.item().kind() == Kind.DOCUMENT) {
        // the plaintext was decrypted for this response alone and is never written again
        item.setContent(UnsafeByteOperations.unsafeWrap(read.payload()));
      } else {
        item.setData(RecordJson.toStruct(read.payload()));
      }
    }
    response.onNext(GetItemResponse.newBuilder().setItem(item).build());
    response.onCompleted();
  }

  public void downloadItem(DownloadItemRequest request, StreamObserver<DownloadItemResponse> response) {
    Caller caller = CallContext.caller();
    var download = service.openDownload(caller, ResourceNames.idOf(request.getName()), request.getVersion());
    var version = ItemRepository.toVersion(download.version());
    var sender = new FlowControlledSender<>((ServerCallStreamObserver<DownloadItemResponse>) response);
    sender.send(DownloadItemResponse.newBuilder()
        .setMetadata(DownloadItemMetadata.newBuilder()
            .setItem(toProto(download.item(), null))
            .setVersion(toProto(version)))
        .build());
    byte[] json = download.recordJson();
    sender.streamInBackground(() -> {
      if (json != null) {
        sender.send(chunk(json));
      } else {
        service.store().readDocument(caller.principal(), download.item().ownerId(), download.version(), bytes -> sender.send(chunk(bytes)));
      }
    });
  }

  private static DownloadItemResponse chunk(byte[] bytes) {
    return DownloadItemResponse.newBuilder().setChunk(ByteString.copyFrom(bytes)).build();
  }

  public void listItems(ListItemsRequest request, StreamObserver<ListItemsResponse> response) {
    var filter = new Filter(
        request.getKind() == Item.Kind.KIND_UNSPECIFIED ? null : kind(request.getKind()),
        request.getCollection().isEmpty() ? null : request.getCollection(),
        request.getLabelsList(),
        request.getMediaType(),
        request.getShowDeleted(),
        request.getSharedWithMe());
    var page = service.list(CallContext.caller(), filter, request.getPageToken(), request.getPageSize());
    var out = ListItemsResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.rows().forEach(i -> out.addItems(toProto(i, null)));
    response.onNext(out.build());
    response.onCompleted();
  }

  public void updateItem(UpdateItemRequest request, StreamObserver<UpdateItemResponse> response) {
    Item item = request.getItem();
    var paths = new HashSet<>(request.getUpdateMask().getPathsList());
    var changes = new Changes(paths, item.getDisplayName(), item.getLabelsMap(), item.getSearchable(),
        item.getMediaType(), item.getContent().toByteArray(), item.hasData() ? item.getData() : null);
    var updated = service.update(CallContext.caller(), ResourceNames.idOf(item.getName()), changes, request.getEtag());
    response.onNext(UpdateItemResponse.newBuilder().setItem(toProto(updated, null)).build());
    response.onCompleted();
  }

  public void deleteItem(DeleteItemRequest request, StreamObserver<DeleteItemResponse> response) {
    var deleted = service.delete(CallContext.caller(), ResourceNames.idOf(request.getName()), request.getEtag());
    response.onNext(DeleteItemResponse.newBuilder().setItem(toProto(deleted, null)).build());
    response.onCompleted();
  }

  public void undeleteItem(UndeleteItemRequest request, StreamObserver<UndeleteItemResponse> response) {
    var restored = service.undelete(CallContext.caller(), ResourceNames.idOf(request.getName()), request.getEtag());
    response.onNext(UndeleteItemResponse.newBuilder().setItem(toProto(restored, null)).build());
    response.onCompleted();
  }

  public void listItemVersions(ListItemVersionsRequest request, StreamObserver<ListItemVersionsResponse> response) {
    var page = service.versions(
        CallContext.caller(), ResourceNames.idOf(request.getParent()), request.getPageToken(), request.getPageSize());
    var out = ListItemVersionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.rows().forEach(v -> out.addItemVersions(toProto(v)));
    response.onNext(out.build());
    response.onCompleted();
  }

  // ---------------------------------------------------------------- mapping

  /** The proto of an item, for the other vault RPCs that return items (QueryRecords). */
  public static Item toProto(dev.cairn.server.access.Item item) {
    return toProto(item, null);
  }

  /** The item's proto, without payload; with {@code version} its content facts are that version's. */
  static Item toProto(dev.cairn.server.access.Item item, @Nullable Version version) {
    return builder(item, version).build();
  }

  /** As {@link #toProto(dev.cairn.server.access.Item, Version)}, still a builder: GetItem adds the payload without a copy. */
  private static Item.Builder builder(dev.cairn.server.access.Item item, @Nullable Version version) {
    var b = Item.newBuilder()
        .setName(item.name())
        .setOwner("users/" + item.ownerId())
        .setKind(item.kind() == Kind.DOCUMENT ? Item.Kind.KIND_DOCUMENT : Item.Kind.KIND_RECORD)
        .setDisplayName(item.displayName())
        .setMediaType(item.mediaType())
        .setSizeBytes(item.sizeBytes())
        .putAllLabels(item.labels())
        .setSearchable(item.searchable())
        .setVersion(item.version())
        .setEtag(item.etag())
        .setCreateTime(ProtoTime.timestamp(item.createdAt()))
        .setUpdateTime(ProtoTime.timestamp(item.updatedAt()))
        .setState(item.deleted() ? Item.State.STATE_DELETED : Item.State.STATE_ACTIVE);
    if (item.collectionId() != null) {
      b.setCollection("collections/" + item.collectionId());
    }
    if (item.sha256() != null) {
      b.setContentSha256(ByteString.copyFrom(item.sha256()));
    }
    if (item.deletedAt() != null) {
      b.setDeleteTime(ProtoTime.timestamp(item.deletedAt()));
    }
    if (item.purgeAfter() != null) {
      b.setPurgeTime(ProtoTime.timestamp(item.purgeAfter()));
    }
    if (version != null) {
      b.setVersion(version.version())
          .setSizeBytes(version.sizeBytes())
          .setContentSha256(ByteString.copyFrom(version.sha256()))
          .setMediaType(version.mediaType());
    }
    return b;
  }

  static ItemVersion toProto(Version v) {
    return ItemVersion.newBuilder()
        .setName(Items.name(v.itemId()) + "/versions/" + v.version())
        .setVersion(v.version())
        .setSizeBytes(v.sizeBytes())
        .setContentSha256(ByteString.copyFrom(v.sha256()))
        .setMediaType(v.mediaType())
        .setCreateTime(ProtoTime.timestamp(v.createdAt()))
        .setAuthor("users/" + v.authorId())
        .build();
  }

  private static Kind kind(Item.Kind kind) {
    return switch (kind) {
      case KIND_DOCUMENT -> Kind.DOCUMENT;
      case KIND_RECORD -> Kind.RECORD;
      default -> throw CairnException.invalidField("item.kind", kind + " (expected: KIND_DOCUMENT or KIND_RECORD)");
    };
  }
}
