package dev.cairn.server.vault;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.vault.items.ItemsRpc;
import dev.cairn.server.vault.records.RecordsRpc;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.CreateCollectionResponse;
import dev.cairn.vault.v1.CreateUploadRequest;
import dev.cairn.vault.v1.CreateUploadResponse;
import dev.cairn.vault.v1.AppendUploadRequest;
import dev.cairn.vault.v1.AppendUploadResponse;
import dev.cairn.vault.v1.GetUploadRequest;
import dev.cairn.vault.v1.GetUploadResponse;
import dev.cairn.vault.v1.CompleteUploadRequest;
import dev.cairn.vault.v1.CompleteUploadResponse;
import dev.cairn.vault.v1.CancelUploadRequest;
import dev.cairn.vault.v1.CancelUploadResponse;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.CreateItemResponse;
import dev.cairn.vault.v1.DeleteItemRequest;
import dev.cairn.vault.v1.DeleteItemResponse;
import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.DownloadItemResponse;
import dev.cairn.vault.v1.GetCollectionRequest;
import dev.cairn.vault.v1.GetCollectionResponse;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.GetItemResponse;
import dev.cairn.vault.v1.ListCollectionsRequest;
import dev.cairn.vault.v1.ListCollectionsResponse;
import dev.cairn.vault.v1.ListItemVersionsRequest;
import dev.cairn.vault.v1.ListItemVersionsResponse;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.ListItemsResponse;
import dev.cairn.vault.v1.QueryRecordsRequest;
import dev.cairn.vault.v1.QueryRecordsResponse;
import dev.cairn.vault.v1.UndeleteItemRequest;
import dev.cairn.vault.v1.UndeleteItemResponse;
import dev.cairn.vault.v1.UpdateItemRequest;
import dev.cairn.vault.v1.UpdateItemResponse;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.stub.StreamObserver;

/**
 * {@code cairn.vault.v1.VaultService}: forwards item RPCs to {@link ItemsRpc} and collection
 * and record RPCs to {@link RecordsRpc}.
 */
final class VaultGrpcService extends VaultServiceGrpc.VaultServiceImplBase {
  private final ItemsRpc items;
  private final RecordsRpc records;

  VaultGrpcService(ItemsRpc items, RecordsRpc records) {
    this.items = requireNonNull(items, "items");
    this.records = requireNonNull(records, "records");
  }

  @Override
  public void createCollection(CreateCollectionRequest request, StreamObserver<CreateCollectionResponse> response) {
    records.createCollection(request, response);
  }

  @Override
  public void getCollection(GetCollectionRequest request, StreamObserver<GetCollectionResponse> response) {
    records.getCollection(request, response);
  }

  @Override
  public void listCollections(ListCollectionsRequest request, StreamObserver<ListCollectionsResponse> response) {
    records.listCollections(request, response);
  }

  @Override
  public void queryRecords(QueryRecordsRequest request, StreamObserver<QueryRecordsResponse> response) {
    records.queryRecords(request, response);
  }

  // ---------------------------------------------------------------- items

  @Override
  public void createItem(CreateItemRequest request, StreamObserver<CreateItemResponse> response) {
    items.createItem(request, response);
  }

  @Override
  public StreamObserver<UploadItemRequest> uploadItem(StreamObserver<UploadItemResponse> response) {
    return items.uploadItem(response);
  }

  @Override
  public void getItem(GetItemRequest request, StreamObserver<GetItemResponse> response) {
    items.getItem(request, response);
  }

  @Override
  public void downloadItem(DownloadItemRequest request, StreamObserver<DownloadItemResponse> response) {
    items.downloadItem(request, response);
  }

  @Override
  public void listItems(ListItemsRequest request, StreamObserver<ListItemsResponse> response) {
    items.listItems(request, response);
  }

  @Override
  public void updateItem(UpdateItemRequest request, StreamObserver<UpdateItemResponse> response) {
    items.updateItem(request, response);
  }

  @Override
  public void deleteItem(DeleteItemRequest request, StreamObserver<DeleteItemResponse> response) {
    items.deleteItem(request, response);
  }

  @Override
  public void undeleteItem(UndeleteItemRequest request, StreamObserver<UndeleteItemResponse> response) {
    items.undeleteItem(request, response);
  }

  @Override
  public void listItemVersions(
      ListItemVersionsRequest request, StreamObserver<ListItemVersionsResponse> response) {
    items.listItemVersions(request, response);
  }

  // ---------------------------------------------------------------- resumable uploads

  @Override
  public void createUpload(CreateUploadRequest request, StreamObserver<CreateUploadResponse> response) {
    items.uploads().createUpload(request, response);
  }

  @Override
  public void appendUpload(AppendUploadRequest request, StreamObserver<AppendUploadResponse> response) {
    items.uploads().appendUpload(request, response);
  }

  @Override
  public void getUpload(GetUploadRequest request, StreamObserver<GetUploadResponse> response) {
    items.uploads().getUpload(request, response);
  }

  @Override
  public void completeUpload(CompleteUploadRequest request, StreamObserver<CompleteUploadResponse> response) {
    items.uploads().completeUpload(request, response);
  }

  @Override
  public void cancelUpload(CancelUploadRequest request, StreamObserver<CancelUploadResponse> response) {
    items.uploads().cancelUpload(request, response);
  }
}
