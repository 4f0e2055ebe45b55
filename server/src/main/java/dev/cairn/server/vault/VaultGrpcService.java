package dev.cairn.server.vault;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.vault.items.ItemsRpc;
import dev.cairn.server.vault.records.RecordsRpc;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.CreateCollectionResponse;
import dev.cairn.vault.v1.GetCollectionRequest;
import dev.cairn.vault.v1.GetCollectionResponse;
import dev.cairn.vault.v1.ListCollectionsRequest;
import dev.cairn.vault.v1.ListCollectionsResponse;
import dev.cairn.vault.v1.QueryRecordsRequest;
import dev.cairn.vault.v1.QueryRecordsResponse;
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
}
