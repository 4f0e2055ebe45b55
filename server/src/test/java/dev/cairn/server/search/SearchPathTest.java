package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.RoundTrips;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How many times a search goes to the database: each round trip is a share of every search's and chat answer's latency. */
class SearchPathTest {

  @Test
  void aHybridSearchOfOnesOwnItemsRunsFiveRoundTripsFourOfThemInItsTransaction() {
    TestUser alice = SERVER.newUser("alice");
    String puffins = document(alice, "text/plain", "Puffins nest on grassy cliffs above the sea.".getBytes(), Map.of());
    document(alice, "text/plain", "Gannets dive from a great height for fish.".getBytes(), Map.of());
    index();
    SearchRequest request = SearchRequest.newBuilder().setQuery("where do puffins nest").setMode(SearchMode.SEARCH_MODE_HYBRID).build();
    search(alice).search(request); // the token's first use (a touch), the query's vector

    // The fewest of twenty searches: one may also apply vector changes other tests' jobs
    // committed meanwhile (a read of the change log: not counted, the catch-up counter moved),
    // and pgjdbc spends a round trip describing a statement the first times a pooled connection
    // runs it; neither is this search's own steady cost.
    var catchups = SERVER.server().meters().get("cairn.search.vector.catchups").counter();
    int trips = Integer.MAX_VALUE;
    int withSide = Integer.MAX_VALUE;
    int barriers = Integer.MAX_VALUE;
    SearchHit first = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      double before = catchups.count();
      try (var counting = RoundTrips.on("cairn-call", "cairn-search-vectors")) {
        first = search(alice).search(request).getHits(0);
        if (catchups.count() == before) {
          int side = counting.of("cairn-search-vectors");
          trips = Math.min(trips, counting.of("cairn-call") + side);
          if (side == 1) {
            withSide = Math.min(withSide, counting.of("cairn-call"));
          }
          barriers = Math.min(barriers, counting.barriersOf("cairn-call"));
        }
      }
      sleep(20);
    }

    // the transaction: its identity with the granting owners, statistics and parsed query (1:
    // the transaction's first statement carries its locals), the lexical ranking (1), the
    // semantic hits re-checked (1), the page's chunks re-read with their owner's data key (1),
    // the commit (1). Authentication's listener confirms it holds every notification committed
    // before the call only when no statement checked the token, and the vector index's listener
    // does on a thread of its own beside the transaction (so at most 2 on the call's thread, and
    // usually none; a round another caller has in flight serves this one too)
    assertThat(trips).isEqualTo(5);
    // the semantic re-check, when the vector thread runs it on a connection of its own (SideRecheck),
    // is one round trip beside the lexical ranking, and the search's own transaction makes four
    assertThat(withSide).isEqualTo(4);
    assertThat(barriers).isBetween(0, 2);
    assertThat(java.util.Objects.requireNonNull(first).getItem()).isEqualTo(puffins);
    assertThat(first.getSnippet().getText()).contains("Puffins");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
