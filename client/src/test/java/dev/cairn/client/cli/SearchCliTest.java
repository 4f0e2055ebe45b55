package dev.cairn.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import dev.cairn.client.CairnClient;
import dev.cairn.search.v1.HitExplanation;
import dev.cairn.search.v1.Highlight;
import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.search.v1.SearchStage;
import dev.cairn.search.v1.Snippet;
import dev.cairn.search.v1.StageReport;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@code cairn search} sends and how it prints what comes back, against an in-process stand-in
 * that answers 25 numbered hits in pages; the real server is in SearchCliEndToEndTest.
 */
class SearchCliTest {
  private static final int TOTAL = 25;

  private final List<SearchRequest> requests = new CopyOnWriteArrayList<>();
  private volatile Status refuse;
  private final String name = InProcessServerBuilder.generateName();
  private final Server server;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  SearchCliTest() throws Exception {
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new SearchServiceGrpc.SearchServiceImplBase() {
      @Override
      public void search(SearchRequest request, StreamObserver<SearchResponse> response) {
        requests.add(request);
        if (refuse != null) {
          response.onError(refuse.asRuntimeException());
          return;
        }
        int from = request.getPageToken().isEmpty() ? 0 : Integer.parseInt(request.getPageToken());
        int size = request.getPageSize() == 0 ? 10 : request.getPageSize();
        var page = SearchResponse.newBuilder()
            .addStages(StageReport.newBuilder().setStage(SearchStage.SEARCH_STAGE_EXACT).setCandidateCount(TOTAL));
        for (int i = from; i < Math.min(TOTAL, from + size); i++) {
          page.addHits(hit(i, request.getExplain()));
        }
        if (from + size < TOTAL) {
          page.setNextPageToken(Integer.toString(from + size));
        }
        response.onNext(page.build());
        response.onCompleted();
      }
    }).build().start();
  }

  private static SearchHit hit(int i, boolean explain) {
    var hit = SearchHit.newBuilder().setItem("items/i" + i).setVersion(1).setDisplayName("doc " + i)
        .setMediaType("application/pdf").setPage(i + 1).setScore(10 - i * 0.1).setStage(SearchStage.SEARCH_STAGE_EXACT)
        .addHeadingPath("Energy").addHeadingPath("Solar")
        .setSnippet(Snippet.newBuilder().setText("😀 solar panel " + i).addHighlights(Highlight.newBuilder().setStart(2).setEnd(7)));
    if (explain) {
      hit.setExplanation(HitExplanation.newBuilder().setLexicalScore(10 - i * 0.1).setLexicalRank(i + 1).addMatchedTerms("solar"));
    }
    return hit.build();
  }

  @AfterEach
  void stop() {
    server.shutdownNow();
  }

  private int run(Map<String, String> env, boolean terminal, String... args) {
    ClientFactory factory = settings -> CairnClient.builder().channelBuilder(InProcessChannelBuilder.forName(name)).build();
    return new CairnCli(factory, new PrintWriter(out), new PrintWriter(err), env, Clock.systemUTC(),
        java.io.OutputStream.nullOutputStream(), terminal).execute(args);
  }

  private int run(String... args) {
    return run(Map.of(), false, args);
  }

  @Test
  void sendsTheQueryModeAndFiltersAsGiven() {
    int exit = run("search", "solar", "panels", "--mode", "lexical", "--label", "topic=energy", "--media-type", "application/pdf",
        "--item", "abc", "--owned-only", "--language", "english");

    assertThat(exit).as(err.toString()).isZero();
    SearchRequest sent = requests.getFirst();
    assertThat(sent.getQuery()).isEqualTo("solar panels");
    assertThat(sent.getMode()).isEqualTo(SearchMode.SEARCH_MODE_LEXICAL);
    assertThat(sent.getFilter().getLabelsMap()).containsExactly(Map.entry("topic", "energy"));
    assertThat(sent.getFilter().getMediaTypesList()).containsExactly("application/pdf");
    assertThat(sent.getFilter().getItemsList()).containsExactly("items/abc");
    assertThat(sent.getFilter().getOwnedOnly()).isTrue();
    assertThat(sent.getLanguage()).isEqualTo("english");
    assertThat(sent.getPageSize()).isEqualTo(10);
  }

  @Test
  void printsEachHitWithNamePageStageScoreHeadingsAndAPlainHighlightWhenNotATerminal() {
    assertThat(run("search", "solar", "--limit", "2")).isZero();

    assertThat(out.toString()).contains(
        "1. doc 0  (items/i0 v1, application/pdf, page 1, EXACT, score 10.0000)",
        "   Energy › Solar",
        "   😀 «solar» panel 0",
        "2. doc 1");
    assertThat(out.toString()).contains("more: --page-token 2").doesNotContain("\u001b[");
  }

  @Test
  void onATerminalHighlightsAreAnsiUnlessNoColorIsSet() {
    assertThat(run(Map.of(), true, "search", "solar", "--limit", "1")).isZero();
    assertThat(out.toString()).contains("😀 \u001b[1;7msolar\u001b[0m panel 0");

    out.getBuffer().setLength(0);
    assertThat(run(Map.of("NO_COLOR", "1"), true, "search", "solar", "--limit", "1")).isZero();
    assertThat(out.toString()).contains("😀 «solar» panel 0");
  }

  @Test
  void aLimitAboveOnePageIsFetchedInPagesAndAllFollowsTokensToTheEnd() {
    assertThat(run("search", "solar", "--limit", "12")).isZero();
    assertThat(requests).extracting(SearchRequest::getPageSize).containsExactly(12);

    requests.clear();
    out.getBuffer().setLength(0);
    assertThat(run("search", "solar", "--all", "--json")).isZero();
    assertThat(requests).extracting(SearchRequest::getPageToken).containsExactly("");
    var json = JsonParser.parseString(out.toString()).getAsJsonObject();
    assertThat(json.getAsJsonArray("hits")).hasSize(TOTAL);
    assertThat(json.has("nextPageToken")).isFalse();
  }

  @Test
  void pagesPastTheServersMaximumAreRequestedWithTheNextToken() {
    assertThat(run("search", "solar", "--limit", "150")).isZero();

    assertThat(requests).extracting(SearchRequest::getPageSize).containsExactly(100);
    assertThat(out.toString()).contains("25. doc 24").doesNotContain("more:");
  }

  @Test
  void pageTokenContinuesWhereAPreviousSearchStopped() {
    assertThat(run("search", "solar", "--page-token", "20")).isZero();

    assertThat(requests.getFirst().getPageToken()).isEqualTo("20");
    assertThat(out.toString()).contains("1. doc 20").contains("5. doc 24");
  }

  @Test
  void explainPrintsScoresRanksTermsAndTheStageReport() {
    assertThat(run("search", "solar", "--explain", "--limit", "1")).isZero();

    assertThat(requests.getFirst().getExplain()).isTrue();
    assertThat(out.toString()).contains("explain: lexical 10.0000 (#1) · matched: solar", "stages:", "EXACT", "25 candidates");
  }

  @Test
  void aModeTheServerRefusesEndsInItsErrorNotACrash() {
    refuse = Status.FAILED_PRECONDITION.withDescription("semantic search is not available on this server yet");

    int exit = run("search", "solar", "--mode", "semantic");

    assertThat(exit).isEqualTo(CairnCli.SERVER_ERROR);
    assertThat(err.toString()).contains("FAILED_PRECONDITION", "semantic search is not available");
  }

  @Test
  void anEmptyQueryOrABadLimitIsAUsageError() {
    assertThat(run("search", " ")).isEqualTo(CairnCli.USAGE);
    assertThat(run("search", "x", "--limit", "0")).isEqualTo(CairnCli.USAGE);
    assertThat(requests).isEmpty();
  }
}
