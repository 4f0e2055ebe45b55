package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * BM25 on a small built corpus, against what plain ts_rank does with the same chunks: a rare
 * term outweighs a common one (ts_rank has no IDF), and a short chunk outranks a long one with
 * the same matches (length normalisation).
 */
class Bm25RankingTest {

  @Test
  void aRareTermOutranksACommonOneWhereTsRankCannotTell() {
    TestUser alice = SERVER.newUser("alice");
    for (int i = 0; i < 8; i++) {
      text(alice, "Weekly river report number " + i + ": water levels normal.");
    }
    String rare = text(alice, "Report on the otter.");
    String common = text(alice, "Report on the river.");
    index();

    List<String> order = lexical(alice, "river OR otter").getHitsList().stream().map(SearchHit::getItem).toList();

    assertThat(order.getFirst()).isEqualTo(rare);
    assertThat(order.indexOf(rare)).isLessThan(order.indexOf(common));
    // plain ts_rank scores the two alike: one match of one query term each in a chunk of the same length
    var tsRank = superuser("""
        SELECT round(ts_rank(c.tsv, websearch_to_tsquery('english', 'river OR otter'))::numeric, 6)::text
          FROM cairn.search_chunks c WHERE c.item_id IN (?, ?) ORDER BY c.item_id""", id(rare), id(common));
    assertThat(tsRank.get(0)).isEqualTo(tsRank.get(1));
  }

  @Test
  void aShortChunkOutranksALongOneWithTheSameMatch() {
    TestUser alice = SERVER.newUser("alice");
    String shortOne = text(alice, "Barnacle notes.");
    String longOne = text(alice, "Barnacle notes, with many more words about tides, rocks, shells, harbours, boats and weather.");
    index();

    var hits = search(alice).search(request("barnacle").setExplain(true).build()).getHitsList();

    assertThat(hits).extracting(SearchHit::getItem).containsExactly(shortOne, longOne);
    assertThat(hits.get(0).getExplanation().getLexicalScore()).isGreaterThan(hits.get(1).getExplanation().getLexicalScore());
    assertThat(hits.get(0).getExplanation().getMatchedTermsList()).containsExactly("barnacl");
    assertThat(hits.get(1).getExplanation().getLexicalRank()).isEqualTo(2);
  }

  @Test
  void aHitsScoreIsBm25OfTheTermsItHoldsAndNoneOfThoseItLacks() {
    TestUser alice = SERVER.newUser("alice");
    String twice = text(alice, "Heron notes: the heron waded past the pier at dawn.");
    text(alice, "Pier repairs were finished in spring.");
    text(alice, "Tide tables for the harbour.");
    index();

    var hits = search(alice).search(request("heron pier kestrel").setExplain(true).build()).getHitsList();

    // BM25 by hand from the owner's stored statistics: heron twice and pier once in the first chunk
    UUID owner = id(alice);
    double chunks = Double.parseDouble(superuser("SELECT count(*)::text FROM cairn.search_chunks WHERE owner_id = ?", owner).getFirst());
    double lexemes = Double.parseDouble(
        superuser("SELECT sum(lexeme_count)::text FROM cairn.search_chunks WHERE owner_id = ?", owner).getFirst());
    double length = Double.parseDouble(
        superuser("SELECT lexeme_count::text FROM cairn.search_chunks WHERE item_id = ?", id(twice)).getFirst());
    double heron = bm25(chunks, lexemes, length, 1, 2);
    double pier = bm25(chunks, lexemes, length, 2, 1);
    assertThat(hits.getFirst().getItem()).isEqualTo(twice);
    assertThat(hits.getFirst().getExplanation().getMatchedTermsList()).containsExactly("heron", "pier");
    assertThat(hits.getFirst().getExplanation().getLexicalScore()).isCloseTo(heron + pier, within(1e-9));
  }

  /**
   * A grantee's statistics are its own chunks plus the chunks shared with it now: the owner's
   * unshared chunks count for nothing, neither in the collection's size and length nor in a
   * term's document frequency.
   */
  @Test
  void aGranteesScoreCountsItsOwnChunksAndTheSharedOnesOnly() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String shared = text(alice, "Heron notes: the heron waded past the pier at dawn.");
    text(alice, "Another heron, another pier, unshared.");
    text(bob, "Pier repairs were finished in spring.");
    text(bob, "Tide tables for the harbour.");
    grant(alice, bob, shared, null);
    index();

    var hits = search(bob).search(request("heron pier").setExplain(true).build()).getHitsList();

    // Bob's two chunks and the shared one: heron in 1 of 3, pier in 2 of 3
    String readable = " FROM cairn.search_chunks WHERE owner_id = ? OR item_id = ?";
    double chunks = Double.parseDouble(superuser("SELECT count(*)::text" + readable, id(bob), id(shared)).getFirst());
    double lexemes = Double.parseDouble(superuser("SELECT sum(lexeme_count)::text" + readable, id(bob), id(shared)).getFirst());
    double length = Double.parseDouble(
        superuser("SELECT lexeme_count::text FROM cairn.search_chunks WHERE item_id = ?", id(shared)).getFirst());
    double heron = bm25(chunks, lexemes, length, 1, 2);
    double pier = bm25(chunks, lexemes, length, 2, 1);
    assertThat(chunks).isEqualTo(3);
    assertThat(hits.getFirst().getItem()).isEqualTo(shared);
    assertThat(hits.getFirst().getExplanation().getLexicalScore()).isCloseTo(heron + pier, within(1e-9));
  }

  /**
   * Plain words are ranked from their postings (V31), phrases, exclusions and prefixes over the
   * chunks' vectors: for the same query both statements give the same items in the same order
   * with the same scores, across the caller's own and shared items (the shared one ranked with
   * the caller's statistics, as both statements are given them).
   */
  @Test
  void thePostingsRankingScoresAsTheVectorRankingDoes() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    text(alice, "Heron notes: the heron waded past the pier at dawn.");
    text(alice, "Pier repairs were finished in spring, the pier reopened.");
    text(alice, "Tide tables for the harbour and the pier.");
    text(alice, "Nothing about birds here.");
    String shared = text(bob, "A heron nests near the old harbour wall.");
    text(bob, "Bob's unshared heron diary.");
    grant(bob, alice, shared, null);
    index();

    var repo = new SearchRepository();
    var me = dev.cairn.server.core.Principal.system(id(alice));
    List<UUID> owners = List.of(id(alice), id(bob));
    Map<String, Double> idf = new java.util.LinkedHashMap<>(Map.of("heron", 1.7, "pier", 0.9, "harbour", 1.3));
    List<SearchRepository.Term> terms = idf.entrySet().stream()
        .map(e -> new SearchRepository.Term(e.getKey(), "english", e.getValue())).toList();
    var settings = SearchSettings.defaults();
    var both = SERVER.server().database().transaction(me, sql -> List.of(
        repo.rank(sql, me, owners, Map.of("english", "'heron' | 'pier' | 'harbour'"), Search.Filter.NONE, idf,
            java.util.Set.of(), 9.5, settings, null, 10),
        repo.rankTerms(sql, me, owners, terms, Search.Filter.NONE, 9.5, settings, null, 10)));
    var vectors = both.get(0);
    var postings = both.get(1);

    assertThat(postings).extracting(SearchRepository.Ranked::itemId).contains(id(shared)).hasSize(4)
        .containsExactlyElementsOf(vectors.stream().map(SearchRepository.Ranked::itemId).toList());
    for (int i = 0; i < postings.size(); i++) {
      assertThat(postings.get(i).score()).isCloseTo(vectors.get(i).score(), within(1e-9));
      assertThat(postings.get(i).matched()).isEqualTo(vectors.get(i).matched());
      assertThat(postings.get(i).total()).isEqualTo(vectors.get(i).total()).isEqualTo(4);
    }
  }

  /**
   * One term's BM25 by hand, with the default k1 and b: {@code df} of {@code chunks} chunks hold
   * it, {@code tf} times in a chunk of {@code length} lexemes; {@code lexemes} in all.
   */
  private static double bm25(double chunks, double lexemes, double length, int df, int tf) {
    SearchSettings s = SearchSettings.defaults();
    double norm = s.k1() * (1 - s.b() + s.b() * length / (lexemes / chunks));
    return Math.log(1 + (chunks - df + 0.5) / (df + 0.5)) * tf * (s.k1() + 1) / (tf + norm);
  }
}
