package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Revocation racing the grantee's searches on real threads over gRPC (Netty): once RevokeGrant
 * has answered, no search that the grantee starts afterwards returns the item, in any mode —
 * whatever was in flight, cached or still in this replica's vector index.
 */
class RevokeSearchRaceTest {
  private static final int ROUNDS = 15;
  private static final int SEARCHERS = 4;
  private static final SearchMode[] MODES =
      {SearchMode.SEARCH_MODE_LEXICAL, SearchMode.SEARCH_MODE_SEMANTIC, SearchMode.SEARCH_MODE_HYBRID};

  /** One search: when it was sent, whether it returned the shared item. */
  private record Observation(long startedNanos, boolean found, SearchMode mode) {}

  @Test
  void noSearchStartedAfterTheRevokeAnsweredReturnsTheRevokedItem() throws Exception {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String item = text(alice, "The lighthouse keeper logged every passing ship in the harbour ledger.");
    index();
    ExecutorService pool = Executors.newFixedThreadPool(SEARCHERS);
    List<Observation> afterRevoke = new ArrayList<>();
    long foundBefore = 0;
    try {
      for (int round = 0; round < ROUNDS; round++) {
        String grant = grant(alice, bob, item, null);
        var observations = new ConcurrentLinkedQueue<Observation>();
        var start = new CountDownLatch(1);
        var stop = new AtomicBoolean();
        var searchesAfter = new AtomicLong();
        var revokedAt = new AtomicLong(Long.MAX_VALUE);
        List<Future<?>> searchers = new ArrayList<>();
        for (int t = 0; t < SEARCHERS; t++) {
          int thread = t;
          searchers.add(pool.submit(() -> {
            start.await();
            for (int n = 0; !stop.get(); n++) {
              SearchMode mode = MODES[(thread + n) % MODES.length];
              long sent = System.nanoTime();
              var hits = search(bob).search(SearchRequest.newBuilder().setQuery("lighthouse keeper ship").setMode(mode).build())
                  .getHitsList();
              observations.add(new Observation(sent, hits.stream().map(SearchHit::getItem).anyMatch(item::equals), mode));
              if (sent > revokedAt.get() && searchesAfter.incrementAndGet() >= SEARCHERS * 3L) {
                stop.set(true);
              }
            }
            return null;
          }));
        }
        start.countDown();
        Thread.sleep(round % 5 * 7); // vary where the revoke lands among the searches
        revoke(alice, grant);
        revokedAt.set(System.nanoTime()); // RevokeGrant has answered: it committed
        for (Future<?> f : searchers) {
          f.get(2, TimeUnit.MINUTES);
        }
        long revoked = revokedAt.get();
        for (Observation o : observations) {
          if (o.startedNanos() > revoked) {
            afterRevoke.add(o);
          } else if (o.found()) {
            foundBefore++;
          }
        }
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(foundBefore).as("searches before the revoke found the shared item (the race is real)").isPositive();
    assertThat(afterRevoke).hasSizeGreaterThanOrEqualTo(ROUNDS * SEARCHERS * 3);
    assertThat(afterRevoke).as("searches started after the revoke answered").noneMatch(Observation::found);
  }
}
