package dev.cairn.server.search;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Duration;
import dev.cairn.search.v1.GetIndexStatusRequest;
import dev.cairn.search.v1.GetIndexStatusResponse;
import dev.cairn.search.v1.HitExplanation;
import dev.cairn.search.v1.IndexSummary;
import dev.cairn.search.v1.ItemIndexStatus;
import dev.cairn.search.v1.ReindexItemRequest;
import dev.cairn.search.v1.ReindexItemResponse;
import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.search.v1.SearchStage;
import dev.cairn.search.v1.Snippet;
import dev.cairn.search.v1.StageReport;
import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.grpc.CallContext;
import dev.cairn.server.grpc.ProtoTime;
import dev.cairn.server.search.Search.Filter;
import dev.cairn.server.search.Search.Hit;
import dev.cairn.server.search.Search.Mode;
import dev.cairn.server.search.Search.Query;
import dev.cairn.server.search.Search.Stage;
import dev.cairn.server.search.index.IndexStatuses;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** {@code cairn.search.v1.SearchService}: proto in, {@link SearchService}, proto out. */
final class SearchGrpcService extends SearchServiceGrpc.SearchServiceImplBase {
  /** Matches no item: a filter naming only malformed ids finds nothing (not everything). */
  private static final UUID NONE = new UUID(0, 0);

  private final SearchService service;

  SearchGrpcService(SearchService service) {
    this.service = requireNonNull(service, "service");
  }

  @Override
  public void search(SearchRequest request, StreamObserver<SearchResponse> response) {
    var result = service.search(CallContext.caller(), new Query(
        request.getQuery(), filter(request.getFilter()), mode(request.getMode()), request.getPageSize(),
        request.getPageToken(), request.getExplain(), request.getLanguage()));
    var out = SearchResponse.newBuilder().setNextPageToken(result.nextPageToken());
    result.hits().forEach(h -> out.addHits(toProto(h)));
    result.stages().forEach(s -> out.addStages(StageReport.newBuilder()
        .setStage(stage(s.stage()))
        .setCandidateCount(s.candidates())
        .setDuration(duration(s.took()))
        .setRewrittenQuery(s.rewrittenQuery())));
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void getIndexStatus(GetIndexStatusRequest request, StreamObserver<GetIndexStatusResponse> response) {
    var out = GetIndexStatusResponse.newBuilder();
    if (request.getItem().isEmpty()) {
      var s = service.summary(CallContext.caller());
      out.setSummary(IndexSummary.newBuilder()
          .setPendingCount(s.pending()).setIndexedCount(s.indexed()).setFailedCount(s.failed()).setLag(duration(s.lag())));
    } else {
      out.setItemStatus(toProto(service.itemStatus(CallContext.caller(), ResourceNames.idOf(request.getItem()))));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void reindexItem(ReindexItemRequest request, StreamObserver<ReindexItemResponse> response) {
    var status = service.reindex(CallContext.caller(), ResourceNames.idOf(request.getName()));
    response.onNext(ReindexItemResponse.newBuilder().setStatus(toProto(status)).build());
    response.onCompleted();
  }

  private static Filter filter(dev.cairn.search.v1.SearchFilter f) {
    return new Filter(
        ids(f.getItemsList()),
        ids(f.getCollectionsList()),
        f.getLabelsMap(),
        f.getMediaTypesList(),
        f.hasStartTime() ? ProtoTime.offsetDateTime(f.getStartTime()) : null,
        f.hasEndTime() ? ProtoTime.offsetDateTime(f.getEndTime()) : null,
        f.getOwnedOnly());
  }

  private static Set<UUID> ids(List<String> names) {
    Set<UUID> ids = new LinkedHashSet<>();
    for (String name : names) {
      ids.add(ResourceNames.uuid(name.substring(name.indexOf('/') + 1)).orElse(NONE));
    }
    return ids;
  }

  private static Mode mode(SearchMode mode) {
    return switch (mode) {
      case SEARCH_MODE_LEXICAL -> Mode.LEXICAL;
      case SEARCH_MODE_SEMANTIC -> Mode.SEMANTIC;
      default -> Mode.HYBRID;
    };
  }

  private static SearchStage stage(Stage stage) {
    return switch (stage) {
      case EXACT -> SearchStage.SEARCH_STAGE_EXACT;
      case PREFIX -> SearchStage.SEARCH_STAGE_PREFIX;
      case TYPO -> SearchStage.SEARCH_STAGE_TYPO;
      case SEMANTIC -> SearchStage.SEARCH_STAGE_SEMANTIC;
    };
  }

  private static SearchHit toProto(Hit h) {
    var b = SearchHit.newBuilder()
        .setItem("items/" + h.itemId())
        .setVersion(h.version())
        .setChunkId(Integer.toString(h.ordinal()))
        .setDisplayName(h.displayName())
        .setMediaType(h.mediaType())
        .setPage(h.page())
        .addAllHeadingPath(h.headings())
        .setScore(h.score())
        .setStage(stage(h.stage()));
    var snippet = Snippet.newBuilder().setText(h.snippet());
    h.highlights().forEach(x -> snippet.addHighlights(dev.cairn.search.v1.Highlight.newBuilder().setStart(x.start()).setEnd(x.end())));
    b.setSnippet(snippet);
    if (h.grantId() != null) {
      b.setGrant("grants/" + h.grantId());
    }
    if (h.explanation() != null) {
      b.setExplanation(HitExplanation.newBuilder()
          .setLexicalScore(h.explanation().lexicalScore())
          .setLexicalRank(h.explanation().lexicalRank())
          .setSemanticScore(h.explanation().semanticScore())
          .setSemanticRank(h.explanation().semanticRank())
          .setFusionScore(h.explanation().fusionScore())
          .addAllMatchedTerms(h.explanation().matchedTerms())
          .addAllCorrections(h.explanation().corrections()));
    }
    return b.build();
  }

  private static ItemIndexStatus toProto(IndexStatuses.ItemStatus s) {
    return ItemIndexStatus.newBuilder()
        .setItem("items/" + s.itemId())
        .setState(switch (s.state()) {
          case NOT_INDEXED -> ItemIndexStatus.State.STATE_NOT_INDEXED;
          case PENDING -> ItemIndexStatus.State.STATE_PENDING;
          case INDEXED -> ItemIndexStatus.State.STATE_INDEXED;
          case FAILED -> ItemIndexStatus.State.STATE_FAILED;
        })
        .setIndexedVersion(s.indexedVersion())
        .setChunkCount(s.chunkCount())
        .setError(s.error())
        .setUpdateTime(ProtoTime.timestamp(s.updateTime()))
        .build();
  }

  private static Duration duration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
