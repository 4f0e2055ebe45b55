package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hot search statements rendered once per shape and bound through JDBC give exactly what the
 * same statements built by jOOQ for each call give: the same rows, scores, totals and pages, for
 * the caller's own and shared items, and nothing of an item the caller may not read.
 */
class RenderedOnceStatementsTest {
  private static TestUser alice;
  private static TestUser bob;
  private static TestUser stranger;
  private static String shared;
  private static String unshared;
  private static final SearchRepository REPO = new SearchRepository();
  private static final SearchSettings SETTINGS = SearchSettings.defaults();

  @BeforeAll
  static void corpus() {
    alice = SERVER.newUser("alice");
    bob = SERVER.newUser("bob");
    stranger = SERVER.newUser("stranger");
    text(alice, "Heron notes: the heron waded past the pier at dawn.");
    text(alice, "Pier repairs were finished in spring, the pier reopened.");
    text(alice, "Tide tables for the harbour and the pier.");
    text(alice, "A heron, a pier and a harbour: all three.");
    text(alice, "Nothing about birds here.");
    shared = text(bob, "A heron nests near the old harbour wall.");
    unshared = text(bob, "Bob's unshared heron diary by the pier.");
    grant(bob, alice, shared, null);
    index();
  }

  private static List<UUID> owners() {
    return List.of(id(alice), id(bob));
  }

  private static List<SearchRepository.Term> terms(String language) {
    return List.of(new SearchRepository.Term("heron", language, 1.7), new SearchRepository.Term("pier", language, 0.9),
        new SearchRepository.Term("harbour", language, 1.3));
  }

  private static <T> T as(TestUser user, dev.cairn.server.db.Database.TransactionalWork<T> work) {
    return SERVER.server().database().transaction(Principal.system(id(user)), work);
  }

  @Test
  void thePostingsRankingGivesWhatJooqRendersPerCallGivesPageByPage() {
    var me = Principal.system(id(alice));
    for (String language : new String[] {"english", null}) {
      List<SearchRepository.Ranked> constant = new ArrayList<>();
      List<SearchRepository.Ranked> rendered = new ArrayList<>();
      as(alice, sql -> {
        SearchRepository.Cursor after = null;
        for (int page = 0; page < 4; page++) {
          var got = REPO.rankTerms(sql, me, owners(), terms(language), Search.Filter.NONE, 9.5, SETTINGS, after, 2);
          var expected = SearchRepository.fetch(
              REPO.rankTermsQuery(sql, me, owners(), terms(language), Search.Filter.NONE, 9.5, SETTINGS, after, 2),
              SearchRepository::ranked);
          assertThat(got).as("page %d, language %s", page, language).isEqualTo(expected);
          constant.addAll(got);
          rendered.addAll(expected);
          if (got.isEmpty()) {
            break;
          }
          var last = got.getLast();
          after = new SearchRepository.Cursor(last.score(), last.itemId());
        }
        return null;
      });
      // five readable items hold a term (four of alice's, bob's shared one); bob's unshared diary is not among them
      assertThat(constant).extracting(SearchRepository.Ranked::itemId).hasSize(5).doesNotHaveDuplicates()
          .contains(id(shared)).doesNotContain(id(unshared));
      assertThat(constant).allSatisfy(r -> assertThat(r.total()).isEqualTo(5));
      assertThat(constant).isEqualTo(rendered);
    }
  }

  @Test
  void theLiveRecheckGivesWhatJooqRendersPerCallGivesAndDropsWhatTheCallerCannotRead() {
    List<UUID> chunks = superuser("SELECT chunk_id::text FROM cairn.search_chunks WHERE owner_id IN (?, ?)", id(alice), id(bob))
        .stream().map(UUID::fromString).toList();
    var me = Principal.system(id(alice));
    var both = as(alice, sql -> List.of(REPO.recheck(sql, me, chunks, Search.Filter.NONE),
        SearchRepository.fetch(SearchRepository.recheckQuery(sql, me, chunks, Search.Filter.NONE), SearchRepository::liveChunks)));
    assertThat(chunks).hasSize(7);
    assertThat(both.get(0)).isEqualTo(both.get(1)).hasSize(6);
    assertThat(both.get(0).values()).extracting(SearchRepository.LiveChunk::itemId).doesNotContain(id(unshared))
        .contains(id(shared));

    var outsider = Principal.system(id(stranger));
    Map<UUID, SearchRepository.LiveChunk> seen = as(stranger, sql -> REPO.recheck(sql, outsider, chunks, Search.Filter.NONE));
    assertThat(seen).isEmpty();
  }

  @Test
  void theHitRowsGiveWhatJooqRendersPerCallGivesAndNothingToAStranger() {
    var me = Principal.system(id(alice));
    var ranked = as(alice, sql -> REPO.rankTerms(sql, me, owners(), terms("english"), Search.Filter.NONE, 9.5, SETTINGS, null, 10));
    // and a hit the caller cannot read, as a forged or stale one would be
    String diary = superuser("SELECT ordinal::text FROM cairn.search_chunks WHERE item_id = ?", id(unshared)).getFirst();
    var withForeign = new ArrayList<>(ranked);
    withForeign.add(new SearchRepository.Ranked(id(bob), id(unshared), 1, Integer.parseInt(diary), 1, List.of("heron"), 1));
    var both = as(alice, sql -> List.of(REPO.chunks(sql, me, withForeign),
        SearchRepository.fetch(SearchRepository.chunksQuery(sql, me, withForeign.stream().map(SearchRepository.Ranked::itemId).toList(),
            withForeign.stream().mapToInt(SearchRepository.Ranked::version).toArray(),
            withForeign.stream().mapToInt(SearchRepository.Ranked::ordinal).toArray()), SearchRepository::chunkRows)));
    Map<String, SearchRepository.ChunkRow> constant = both.get(0);
    assertThat(constant).hasSize(5).hasSameSizeAs(both.get(1));
    constant.forEach((key, row) -> {
      var expected = both.get(1).get(key);
      assertThat(row).usingRecursiveComparison().isEqualTo(expected);
      assertThat(row.keyColumn()).isNotNull();
    });
    assertThat(constant.values()).extracting(SearchRepository.ChunkRow::itemId).doesNotContain(id(unshared));

    var outsider = Principal.system(id(stranger));
    Map<String, SearchRepository.ChunkRow> seen = as(stranger, sql -> REPO.chunks(sql, outsider, withForeign));
    assertThat(seen).isEmpty();
  }
}
