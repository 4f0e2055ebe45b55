package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A hybrid search re-checks its vector hits on a connection of its own, beside the lexical
 * ranking (SideRecheck): it does, it gives the hits a search gives, and no number of
 * concurrent searches deadlocks the pool over the side connections.
 */
class SideRecheckTest {

  private static List<String> items(TestUser user, String query) {
    return search(user).search(SearchRequest.newBuilder().setQuery(query).setMode(SearchMode.SEARCH_MODE_HYBRID).build())
        .getHitsList().stream().map(SearchHit::getItem).toList();
  }

  private static double sideRechecks() {
    var counter = SERVER.server().meters().find("cairn.search.side.rechecks").counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void aHybridSearchRechecksItsVectorHitsBesideTheLexicalRanking() {
    TestUser alice = SERVER.newUser("alice");
    String boat = text(alice, "The ferry crossed the strait twice a day in calm weather.");
    text(alice, "Sourdough needs a starter fed with flour and water.");
    index();
    double before = sideRechecks();
    for (int i = 0; i < 5; i++) {
      assertThat(items(alice, "ferry crossing")).first().isEqualTo(boat);
    }
    // the side leg ran for (at least) some of them: the vector thread often wins the claim
    assertThat(sideRechecks()).isGreaterThan(before);
  }

  @Test
  void moreConcurrentHybridSearchesThanThePoolHoldsAllAnswerWithTheSameHits() throws Exception {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String shared = text(bob, "Lighthouse keepers logged each passing ship in the ledger.");
    text(bob, "Bob's private notes on the lighthouse lamp.");
    String own = text(alice, "A ship's ledger from the old harbour, page by page.");
    grant(bob, alice, shared, null);
    index();
    List<String> alone = items(alice, "lighthouse ship ledger");
    assertThat(alone).containsExactlyInAnyOrder(shared, own);

    int searches = 3 * SERVER.server().database().poolSize();
    ExecutorService pool = Executors.newFixedThreadPool(searches);
    try {
      var start = new CountDownLatch(1);
      List<Future<List<String>>> answers = new ArrayList<>();
      for (int i = 0; i < searches; i++) {
        answers.add(pool.submit(() -> {
          start.await();
          return items(alice, "lighthouse ship ledger");
        }));
      }
      start.countDown();
      for (Future<List<String>> answer : answers) {
        // a deadlocked pool would answer only after the pool's 5 s connection timeout, with an error
        assertThat(answer.get(60, TimeUnit.SECONDS)).isEqualTo(alone);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aSideLegItsSearchAbandonedNeverRuns() {
    // a search that fails before it needs the rows abandons the work: the vector thread, coming
    // later, must not spend a connection on a statement nobody will read
    Counter ran = new SimpleMeterRegistry().counter("ran");
    Semaphore permits = new Semaphore(1);
    Principal someone = Principal.user(UUID.randomUUID(), UUID.randomUUID(), Set.of(Principal.Scope.READ));
    SideRecheck side = new SideRecheck();
    side.abandon();
    side.run(permits, SERVER.server().database(), someone, List.of(UUID.randomUUID()), ran);
    assertThat(ran.count()).isZero();
    assertThat(permits.availablePermits()).isEqualTo(1);

    SideRecheck unclaimed = new SideRecheck();
    unclaimed.run(permits, SERVER.server().database(), someone, List.of(UUID.randomUUID()), ran);
    assertThat(ran.count()).isEqualTo(1); // the same call runs when nobody abandoned it
    assertThat(unclaimed.join()).isEmpty(); // (a stranger's forged chunk id: no rows)
  }
}
