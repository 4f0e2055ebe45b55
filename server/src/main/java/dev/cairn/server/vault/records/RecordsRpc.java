package dev.cairn.server.vault.records;

import dev.cairn.server.core.ResourceNames;
import static java.util.Objects.requireNonNull;

import dev.cairn.server.grpc.CallContext;
import dev.cairn.server.grpc.ProtoTime;
import dev.cairn.server.vault.RecordJson;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.items.ItemsRpc;
import dev.cairn.vault.v1.Collection;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.CreateCollectionResponse;
import dev.cairn.vault.v1.GetCollectionRequest;
import dev.cairn.vault.v1.GetCollectionResponse;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListCollectionsRequest;
import dev.cairn.vault.v1.ListCollectionsResponse;
import dev.cairn.vault.v1.QueryRecordsRequest;
import dev.cairn.vault.v1.QueryRecordsResponse;
import io.grpc.stub.StreamObserver;

/** The collection and record RPCs of {@code cairn.vault.v1.VaultService}: proto in, proto out. */
public final class RecordsRpc {
  private final CollectionService collections;
  private final RecordQueryService queries;

  /** {@code rules} is the one the items path validates with: they share its compiled schemas. */
  public RecordsRpc(VaultContext vault, RecordRules rules) {
    requireNonNull(vault, "vault");
    this.collections = new CollectionService(vault);
    this.queries = new RecordQueryService(vault, requireNonNull(rules, "rules").schemas());
  }

  public void createCollection(CreateCollectionRequest request, StreamObserver<CreateCollectionResponse> response) {
    Collection c = request.getCollection();
    var created =
        collections.create(
            CallContext.principal(),
            new CollectionService.NewCollection(c.getDisplayName(), c.getDescription(), c.getJsonSchema()),
            ResourceNames.requestId(request.getRequestId()),
            CallContext.requestId());
    response.onNext(CreateCollectionResponse.newBuilder().setCollection(toProto(created)).build());
    response.onCompleted();
  }

  public void getCollection(GetCollectionRequest request, StreamObserver<GetCollectionResponse> response) {
    var found = collections.get(CallContext.principal(), ResourceNames.idOf(request.getName()));
    response.onNext(GetCollectionResponse.newBuilder().setCollection(toProto(found)).build());
    response.onCompleted();
  }

  public void listCollections(ListCollectionsRequest request, StreamObserver<ListCollectionsResponse> response) {
    var page =
        collections.list(CallContext.principal(), request.getSharedWithMe(), request.getPageSize(), request.getPageToken());
    var out = ListCollectionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.collections().forEach(c -> out.addCollections(toProto(c)));
    response.onNext(out.build());
    response.onCompleted();
  }

  public void queryRecords(QueryRecordsRequest request, StreamObserver<QueryRecordsResponse> response) {
    var page =
        queries.query(
            CallContext.principal(),
            ResourceNames.idOf(request.getParent()),
            request.getFilter(),
            request.getOrderBy(),
            request.getPageSize(),
            request.getPageToken(),
            CallContext.requestId());
    var out = QueryRecordsResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.records().forEach(r -> out.addRecords(toProto(r.row().item(), r.json())));
    response.onNext(out.build());
    response.onCompleted();
  }

  static Collection toProto(CollectionInfo c) {
    return Collection.newBuilder()
        .setName(c.name())
        .setOwner("users/" + c.ownerId())
        .setDisplayName(c.displayName())
        .setDescription(c.description())
        .setJsonSchema(c.jsonSchema())
        .setCreateTime(ProtoTime.timestamp(c.createdAt()))
        .setEtag(c.etag())
        .build();
  }

  /** A record as QueryRecords returns it: the item (as every item RPC shows it) plus its data. */
  static Item toProto(dev.cairn.server.access.Item item, byte[] json) {
    return ItemsRpc.toProto(item).toBuilder().setData(RecordJson.toStruct(json)).build();
  }

}
