package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchStage;
import dev.cairn.search.v1.StageReport;
import dev.cairn.server.search.vector.ReadFilter;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Semantic and hybrid search with the real bge-small model, the real vector index and
 * PostgreSQL, over gRPC: meaning is found without shared words, rights hold for every vector hit
 * (even one the replica's index still holds), a replica catches up after a restart, fusion puts
 * what both lists found first, and the lexical ladder falls back to meaning.
 */
class SemanticSearchTest {
  private static final String CARDIOLOGY = "The cardiologist prescribed beta blockers for hypertension.";
  private static final String BAKERY = "The bakery on the corner sells sourdough loaves and almond croissants.";
  private static final String HEART_QUERY = "heart doctor blood pressure medicine";
  private static final String GARDEN = "Tomatoes need full sun, deep watering and a stake to climb.";

  private static SearchResponse search(TestUser user, SearchMode mode, String query) {
    return SearchFixture.search(user).search(SearchRequest.newBuilder().setQuery(query).setMode(mode).setExplain(true).build());
  }

  /** A new user with one indexed item (BAKERY) whose HYBRID search for HEART_QUERY ran once: its vector is cached. */
  private static TestUser bakeryOwnerWithTheHeartQueryEmbedded() {
    TestUser owner = SERVER.newUser("alice");
    text(owner, BAKERY);
    index();
    search(owner, SearchMode.SEARCH_MODE_HYBRID, HEART_QUERY);
    return owner;
  }

  private static SearchResponse semantic(TestUser user, String query) {
    return search(user, SearchMode.SEARCH_MODE_SEMANTIC, query);
  }

  @Test
  void aSemanticQueryWithNoSharedWordFindsTheItemByMeaning() {
    TestUser alice = SERVER.newUser("alice");
    String heart = text(alice, CARDIOLOGY);
    text(alice, BAKERY);
    text(alice, GARDEN);
    index();

    var response = semantic(alice, HEART_QUERY);

    assertThat(response.getHitsList()).extracting(SearchHit::getItem).startsWith(heart);
    SearchHit best = response.getHits(0);
    assertThat(best.getStage()).isEqualTo(SearchStage.SEARCH_STAGE_SEMANTIC);
    assertThat(best.getSnippet().getText()).isEqualTo(CARDIOLOGY);
    assertThat(best.getScore()).isBetween(0.0, 1.0).isGreaterThan(response.getHits(1).getScore());
    assertThat(best.getExplanation().getSemanticRank()).isEqualTo(1);
    assertThat(response.getStagesList()).extracting(StageReport::getStage).containsExactly(SearchStage.SEARCH_STAGE_SEMANTIC);
  }

  @Test
  void aStrangersSemanticAndHybridSearchFindNothingAndCountNothing() {
    TestUser alice = SERVER.newUser("alice");
    TestUser mallory = SERVER.newUser("mallory");
    text(alice, CARDIOLOGY);
    index();

    for (SearchMode mode : new SearchMode[] {SearchMode.SEARCH_MODE_SEMANTIC, SearchMode.SEARCH_MODE_HYBRID}) {
      var response = search(mallory, mode, HEART_QUERY);

      assertThat(response.getHitsList()).as(mode.name()).isEmpty();
      assertThat(response.getStagesList()).as(mode.name()).allSatisfy(s -> assertThat(s.getCandidateCount()).isZero());
    }
  }

  @Test
  void aRevokedGrantHidesTheItemOnTheNextCallThoughTheReplicaStillHoldsItsVector() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String heart = text(alice, CARDIOLOGY);
    index();
    String grant = grant(alice, bob, heart, null);
    var shared = semantic(bob, "heart doctor");
    assertThat(shared.getHitsList()).extracting(SearchHit::getItem).containsExactly(heart);
    assertThat(shared.getHits(0).getGrant()).isEqualTo(grant);

    revoke(alice, grant);

    assertThat(semantic(bob, "heart doctor").getHitsList()).isEmpty();
    assertThat(search(bob, SearchMode.SEARCH_MODE_HYBRID, "heart doctor").getHitsList()).isEmpty();
    float[] query = SERVER.server().embedder().embedQuery("heart doctor");
    assertThat(SERVER.server().vectors().search(query, 10, ReadFilter.items(id(heart))))
        .as("the replica's index still holds the vector; the SQL re-check dropped it").isNotEmpty();
  }

  @Test
  void aDeletedItemVanishesFromSemanticAndHybridResultsOnTheNextCall() {
    TestUser alice = SERVER.newUser("alice");
    String heart = text(alice, CARDIOLOGY);
    index();
    assertThat(semantic(alice, "heart doctor").getHitsList()).extracting(SearchHit::getItem).containsExactly(heart);

    delete(alice, heart);

    assertThat(semantic(alice, "heart doctor").getHitsList()).isEmpty();
    assertThat(search(alice, SearchMode.SEARCH_MODE_HYBRID, "cardiologist").getHitsList()).isEmpty();
  }

  @Test
  void aDeletedItemsVectorsLeaveTheReplicaThroughTheChangeLog() {
    TestUser alice = SERVER.newUser("alice");
    String heart = text(alice, CARDIOLOGY);
    index();
    delete(alice, heart);
    SERVER.server().vectors().catchUp();

    float[] query = SERVER.server().embedder().embedQuery("heart doctor");
    assertThat(SERVER.server().vectors().search(query, 10, ReadFilter.items(id(heart)))).isEmpty();
  }

  @Test
  void aReplicaRestartedOnItsIndexCatchesUpWithWhatWasWrittenMeanwhile(@TempDir Path dir) {
    TestUser alice = SERVER.newUser("alice");
    String first = text(alice, CARDIOLOGY);
    index();
    var embedder = SERVER.server().embedder();
    Path indexDir = dir.resolve("vector-index");
    try (VectorSync replica = VectorSync.open(SERVER.server().database(), indexDir, embedder.modelId(), embedder.dimensions(), null)) {
      assertThat(replica.search(embedder.embedQuery("heart doctor"), 10, ReadFilter.owners(id(alice))))
          .extracting(h -> h.itemId()).containsExactly(id(first));
    }
    String second = text(alice, BAKERY);
    index();

    try (VectorSync replica = VectorSync.open(SERVER.server().database(), indexDir, embedder.modelId(), embedder.dimensions(), null)) {
      assertThat(replica.search(embedder.embedQuery("bread shop"), 10, ReadFilter.owners(id(alice))))
          .extracting(h -> h.itemId()).containsExactly(id(second), id(first));
    }
    assertThat(Files.exists(indexDir)).isTrue();
  }

  @Test
  void anIndexBuiltForAnotherModelIsRebuiltHoldingOnlyThatModelsVectors(@TempDir Path dir) {
    TestUser alice = SERVER.newUser("alice");
    text(alice, CARDIOLOGY);
    index();
    var embedder = SERVER.server().embedder();
    Path indexDir = dir.resolve("vector-index");
    try (VectorSync replica = VectorSync.open(SERVER.server().database(), indexDir, embedder.modelId(), embedder.dimensions(), null)) {
      assertThat(replica.size()).isPositive();
    }

    try (VectorSync other = VectorSync.open(SERVER.server().database(), indexDir, "another-model", embedder.dimensions(), null)) {
      assertThat(other.size()).isZero();
      assertThat(other.appliedThrough()).isPositive();
    }
  }

  @Test
  void hybridRanksTheItemBothListsFoundFirstAndExplainsBothRanks() {
    TestUser alice = SERVER.newUser("alice");
    String both = text(alice, "Blood pressure medicine: beta blockers lower blood pressure.");
    String wordsOnly = text(alice, "The blood orange harvest was hit by a storm; the air pressure dropped, fishermen stayed in "
        + "port and the market stayed closed for the long weekend while farmers counted their losses.");
    String meaningOnly = text(alice, "The cardiologist treats hypertension with drugs.");
    text(alice, BAKERY);
    index();

    var hits = search(alice, SearchMode.SEARCH_MODE_HYBRID, "blood pressure").getHitsList();

    assertThat(hits).extracting(SearchHit::getItem).startsWith(both).contains(wordsOnly, meaningOnly);
    SearchHit first = hits.getFirst();
    assertThat(first.getStage()).isEqualTo(SearchStage.SEARCH_STAGE_EXACT);
    assertThat(first.getExplanation().getLexicalRank()).isEqualTo(1);
    assertThat(first.getExplanation().getSemanticRank()).isEqualTo(1);
    assertThat(first.getExplanation().getFusionScore()).isEqualTo(first.getScore()).isEqualTo(2.0 / 61);
    SearchHit semanticOnly = hits.stream().filter(h -> h.getItem().equals(meaningOnly)).findFirst().orElseThrow();
    assertThat(semanticOnly.getStage()).isEqualTo(SearchStage.SEARCH_STAGE_SEMANTIC);
    assertThat(semanticOnly.getExplanation().getLexicalRank()).isZero();
  }

  @Test
  void whenTheLexicalLadderFindsNothingTheSemanticFallbackAnswersLabelledSemantic() {
    TestUser alice = SERVER.newUser("alice");
    String heart = text(alice, CARDIOLOGY);
    text(alice, BAKERY);
    index();

    var response = search(alice, SearchMode.SEARCH_MODE_LEXICAL, "heart doctor");

    assertThat(response.getHitsList()).extracting(SearchHit::getItem).containsExactly(heart);
    assertThat(response.getHits(0).getStage()).isEqualTo(SearchStage.SEARCH_STAGE_SEMANTIC);
    assertThat(response.getHits(0).getSnippet().getHighlightsList()).isEmpty();
    assertThat(response.getStagesList()).extracting(StageReport::getStage).containsExactly(
        SearchStage.SEARCH_STAGE_EXACT, SearchStage.SEARCH_STAGE_PREFIX, SearchStage.SEARCH_STAGE_TYPO,
        SearchStage.SEARCH_STAGE_SEMANTIC);
  }

  @Test
  void aSemanticOrHybridSearchReadsTheVectorIndexOnlyOnceItHoldsEveryChangeCommittedBeforeTheSearch() throws Exception {
    TestUser alice = SERVER.newUser("alice");
    text(alice, BAKERY);
    index();
    VectorSync replica = SERVER.server().vectors();
    for (SearchMode mode : new SearchMode[] {SearchMode.SEARCH_MODE_SEMANTIC, SearchMode.SEARCH_MODE_HYBRID}) {
      search(alice, mode, "sourdough bread"); // warm: the search path, the model
      String heart;
      CompletableFuture<SearchResponse> searching;
      // the replica's catch-up applies changes under its monitor: held here, no change committed
      // from now on reaches the index, and a search that waits for its catch-up waits for this
      synchronized (replica) {
        heart = text(alice, CARDIOLOGY);
        index(); // committed, and announced to the replica's listener: not applied
        searching = CompletableFuture.supplyAsync(
            () -> search(alice, mode, HEART_QUERY));
        Thread.sleep(500);
        assertThat(searching).as(mode + ": the search waits until the index holds what was committed before it").isNotDone();
      }
      var response = searching.get(60, TimeUnit.SECONDS);
      // (the semantic round's item has the same text: either may rank first)
      assertThat(response.getHitsList()).as(mode.name()).extracting(SearchHit::getItem).contains(heart);
    }
  }

  @Test
  void threePoolsWorthOfSearchesWaitingForOneCatchUpAllAnswerWithoutExhaustingThePool() throws Exception {
    TestUser alice = bakeryOwnerWithTheHeartQueryEmbedded();
    VectorSync replica = SERVER.server().vectors();
    int searches = 3 * SERVER.server().database().poolSize();
    List<CompletableFuture<SearchResponse>> answers = new ArrayList<>();
    String heart;
    try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
      // while the monitor is held no catch-up can apply the new item's change: every search waits
      // for one, and the catch-up that ends the wait needs a connection of its own to read the log
      synchronized (replica) {
        heart = text(alice, CARDIOLOGY);
        index();
        for (int i = 0; i < searches; i++) {
          answers.add(CompletableFuture.supplyAsync(
              () -> search(alice, SearchMode.SEARCH_MODE_HYBRID, HEART_QUERY), threads));
        }
        Thread.sleep(1_000); // every search has started, and waits
      }
      for (var answer : answers) {
        assertThat(answer.get(60, TimeUnit.SECONDS).getHitsList()).extracting(SearchHit::getItem)
            .startsWith(heart);
      }
    }
  }

  @Test
  void aSearchWhoseDeadlinePassesWhileItWaitsForTheCatchUpEndsDeadlineExceededAndTheNextOnesAnswer() throws Exception {
    TestUser alice = bakeryOwnerWithTheHeartQueryEmbedded();
    VectorSync replica = SERVER.server().vectors();
    String heart;
    synchronized (replica) {
      heart = text(alice, CARDIOLOGY);
      index();
      for (int i = 0; i < SERVER.server().database().poolSize(); i++) { // more than there are permits to overlap
        var timed = SearchFixture.search(alice).withDeadlineAfter(300, TimeUnit.MILLISECONDS);
        var request = SearchRequest.newBuilder().setQuery(HEART_QUERY)
            .setMode(SearchMode.SEARCH_MODE_HYBRID).build();
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
                io.grpc.StatusRuntimeException.class, () -> timed.search(request)).getStatus().getCode())
            .isEqualTo(io.grpc.Status.Code.DEADLINE_EXCEEDED);
      }
    }
    for (int i = 0; i < 3; i++) {
      assertThat(search(alice, SearchMode.SEARCH_MODE_HYBRID, HEART_QUERY).getHitsList())
          .extracting(SearchHit::getItem).contains(heart);
    }
  }

  @Test
  void aLexicalSearchTheWordsAnswerNeverWaitsForTheVectorIndexAndItsFallbackCatchesItUp() {
    TestUser alice = SERVER.newUser("alice");
    String heart = text(alice, CARDIOLOGY);
    text(alice, BAKERY);
    index();
    double before = lexicalCatchUps();

    var words = search(alice, SearchMode.SEARCH_MODE_LEXICAL, "cardiologist");
    assertThat(words.getHits(0).getItem()).isEqualTo(heart);
    assertThat(words.getHits(0).getStage()).isEqualTo(SearchStage.SEARCH_STAGE_EXACT);
    assertThat(lexicalCatchUps()).isEqualTo(before);

    var meaning = search(alice, SearchMode.SEARCH_MODE_LEXICAL, "heart doctor");
    assertThat(meaning.getHits(0).getItem()).isEqualTo(heart);
    assertThat(meaning.getHits(0).getStage()).isEqualTo(SearchStage.SEARCH_STAGE_SEMANTIC);
    assertThat(lexicalCatchUps()).isEqualTo(before + 1);
  }

  /** How many LEXICAL searches caught the vector index up (the "catchup" stage's timer). */
  private static double lexicalCatchUps() {
    var timer = SERVER.server().meters().find("cairn.search.stage").tag("mode", "LEXICAL").tag("stage", "catchup").timer();
    return timer == null ? 0 : timer.count();
  }

  @Test
  void theSemanticFallbackAnswersNothingWhenNothingIsRelated() {
    TestUser alice = SERVER.newUser("alice");
    text(alice, CARDIOLOGY);
    text(alice, BAKERY);
    index();

    assertThat(search(alice, SearchMode.SEARCH_MODE_LEXICAL, "quantum chromodynamics lattice gauge theory").getHitsList())
        .isEmpty();
  }

  @Test
  void semanticPagesFollowOneAnotherWithoutRepeats() {
    TestUser alice = SERVER.newUser("alice");
    text(alice, CARDIOLOGY);
    text(alice, BAKERY);
    text(alice, GARDEN);
    index();
    var request = SearchRequest.newBuilder().setQuery("food").setMode(SearchMode.SEARCH_MODE_SEMANTIC).setPageSize(2);

    var first = SearchFixture.search(alice).search(request.build());
    var second = SearchFixture.search(alice).search(request.setPageToken(first.getNextPageToken()).build());

    assertThat(first.getHitsList()).hasSize(2);
    assertThat(first.getNextPageToken()).isNotEmpty();
    assertThat(second.getHitsList()).hasSize(1);
    assertThat(second.getNextPageToken()).isEmpty();
    assertThat(second.getHits(0).getItem()).isNotIn(first.getHitsList().stream().map(SearchHit::getItem).toList());
  }
}
