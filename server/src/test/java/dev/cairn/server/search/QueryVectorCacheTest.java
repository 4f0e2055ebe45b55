package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.search.embed.ForwardingEmbedder;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The query-vector cache: one embedding per user and query, never an entry shared between users
 * (its hit timing would tell one user what another searched), and only vectors cached, so rights
 * and deletions still act on the very next search. The real model, counted by a decorator.
 */
class QueryVectorCacheTest {
  private static final String QUERY = "heart doctor blood pressure medicine";

  /** The server's real embedder, counting the queries it embeds. */
  private static final class Counting extends ForwardingEmbedder {
    final AtomicInteger queries = new AtomicInteger();

    Counting() {
      super(SERVER.server().embedder());
    }

    @Override
    public float[] embedQuery(String query) {
      queries.incrementAndGet();
      return model.embedQuery(query);
    }
  }

  private final Counting model = new Counting();
  private final QueryEmbeddings cache = new QueryEmbeddings(model, 100, Duration.ofMinutes(10), new SimpleMeterRegistry());

  @Test
  void aUsersRepeatedQueryIsEmbeddedOnceEvenWithOtherSpacing() {
    UUID alice = UUID.randomUUID();

    float[] first = cache.get(alice, QUERY);
    float[] again = cache.get(alice, "  heart doctor\tblood  pressure\nmedicine ");

    assertThat(model.queries).hasValue(1);
    assertThat(again).isEqualTo(first);
  }

  @Test
  void anotherUsersIdenticalQueryIsEmbeddedForThemNotServedFromTheFirstUsersEntry() {
    UUID alice = UUID.randomUUID();
    UUID bob = UUID.randomUUID();
    cache.get(alice, QUERY);

    float[] bobs = cache.get(bob, QUERY);

    assertThat(model.queries).hasValue(2);
    assertThat(bobs).hasSize(model.dimensions());
  }

  @Test
  void aRefusedQueryIsNotCachedAndFailsAsTheModelFailsIt() {
    UUID alice = UUID.randomUUID();

    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> cache.get(alice, " \t "))
          .isInstanceOfSatisfying(CairnException.class, e -> assertThat(e.kind()).isEqualTo(CairnException.Kind.INVALID_ARGUMENT));
    }
    assertThat(model.queries).hasValue(2);
  }

  @Test
  void anItemDeletedAfterItsQueryVectorWasCachedIsGoneFromTheNextHybridSearch() {
    TestUser alice = SERVER.newUser("alice");
    String heart = text(alice, "The cardiologist prescribed beta blockers for hypertension.");
    index();
    var request = SearchRequest.newBuilder().setQuery(QUERY).setMode(SearchMode.SEARCH_MODE_HYBRID).build();
    assertThat(search(alice).search(request).getHitsList()).extracting(SearchHit::getItem).containsExactly(heart);
    double hits = cacheHits();

    delete(alice, heart);
    var after = search(alice).search(request);

    assertThat(cacheHits()).as("the second search used the cached vector").isEqualTo(hits + 1);
    assertThat(after.getHitsList()).isEmpty();
  }

  private static double cacheHits() {
    return SERVER.server().meters().counter("cairn.search.query.cache.lookups", "result", "hit").count();
  }
}
