package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchStage;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LEXICAL search end to end: items made and indexed through the real RPCs and job queue, searched over Netty. */
class LexicalSearchTest {

  @Test
  void aQuestionFindsDocumentsHoldingSomeOfItsWordsThoseHoldingMoreFirst() {
    TestUser ana = SERVER.newUser("ana");
    String both = text(ana, "Vitamin D deficiency is common in winter.");
    String one = text(ana, "Deficiency of iron causes anaemia.");
    text(ana, "Nothing related here at all.");
    index();

    var response = lexical(ana, "does vitamin D deficiency cause depression");

    // ("depression" is in no document, so it was also tried as a prefix of a word being typed)
    assertThat(response.getHitsList()).extracting(SearchHit::getItem).containsExactly(both, one);
  }

  @Test
  void aQuotedPhraseOrAnExcludedWordKeepsItsMeaning() {
    TestUser ben = SERVER.newUser("ben");
    String phrase = text(ben, "The solar panel was installed on the roof.");
    text(ben, "A panel discussed solar policy.");
    String wind = text(ben, "Solar and wind power.");
    index();

    assertThat(lexical(ben, "\"solar panel\"").getHitsList()).extracting(SearchHit::getItem).containsExactly(phrase);
    assertThat(lexical(ben, "solar -panel").getHitsList()).extracting(SearchHit::getItem).containsExactly(wind);
  }

  @Test
  void aHyphenatedWordDoesNotMakeEveryWordOfTheQueryRequired() {
    TestUser cy = SERVER.newUser("cy");
    String tcell = text(cy, "Regulatory T-cell counts fall in older mice.");
    String counts = text(cy, "Platelet counts were measured weekly.");
    text(cy, "Unrelated gardening notes.");
    index();

    // the parser makes "T-cell" a phrase; the claim is still plain words, matched by any of them
    var response = lexical(cy, "does vaccine response predict T-cell counts");

    assertThat(response.getHitsList()).extracting(SearchHit::getItem).containsExactly(tcell, counts);
    assertThat(response.getHitsList()).extracting(SearchHit::getStage).containsOnly(SearchStage.SEARCH_STAGE_EXACT);
  }

  @Test
  void markdownItemIsFoundWithHighlightsCountedInCodePointsPastAnEmoji() {
    TestUser alice = SERVER.newUser("alice");
    String item = markdown(alice, "# Garden\n\n🌻🌻 Sunflowers need a trellis in windy gardens.");
    index();

    var response = lexical(alice, "trellis");

    assertThat(response.getHitsList()).hasSize(1);
    SearchHit hit = response.getHits(0);
    assertThat(hit.getItem()).isEqualTo(item);
    assertThat(hit.getStage()).isEqualTo(SearchStage.SEARCH_STAGE_EXACT);
    assertThat(hit.getGrant()).isEmpty();
    assertThat(hit.getHeadingPathList()).containsExactly("Garden");
    String snippet = hit.getSnippet().getText();
    assertThat(hit.getSnippet().getHighlightsList()).hasSize(1);
    var h = hit.getSnippet().getHighlights(0);
    assertThat(codePoints(snippet, h.getStart(), h.getEnd())).isEqualTo("trellis");
    // the emoji are one code point each: UTF-16 offsets would be two further on
    assertThat(snippet.indexOf("trellis")).isGreaterThan(h.getStart());
  }

  @Test
  void stemmedWordsMatchAndAreHighlighted() {
    TestUser alice = SERVER.newUser("alice");
    text(alice, "The gardener was planting tulips. Plants grow.");
    index();

    var hit = lexical(alice, "plant").getHits(0);

    var marked = hit.getSnippet().getHighlightsList().stream()
        .map(h -> codePoints(hit.getSnippet().getText(), h.getStart(), h.getEnd())).toList();
    assertThat(marked).containsExactly("planting", "Plants");
  }

  @Test
  void aHyphenatedWordIsHighlightedWholeAndTheWordsAfterItStillAre() {
    TestUser alice = SERVER.newUser("alice");
    text(alice, "Regulatory T-cell counts predict cell death.");
    index();

    var hit = lexical(alice, "cell counts").getHits(0);

    var marked = hit.getSnippet().getHighlightsList().stream()
        .map(h -> codePoints(hit.getSnippet().getText(), h.getStart(), h.getEnd())).toList();
    assertThat(marked).containsExactly("T-cell", "counts", "cell");
  }

  @Test
  void pdfHitNamesItsPage() {
    TestUser alice = SERVER.newUser("alice");
    document(alice, "application/pdf", pdf(List.of("Introduction to the report", "Photosynthesis converts light into sugar")), Map.of());
    index();

    var hit = lexical(alice, "photosynthesis").getHits(0);

    assertThat(hit.getPage()).isEqualTo(2);
    assertThat(hit.getMediaType()).isEqualTo("application/pdf");
  }

  @Test
  void htmlItemIsSearchableByItsVisibleTextOnly() {
    TestUser alice = SERVER.newUser("alice");
    document(alice, "text/html",
        "<html><head><script>var secretcode = 1;</script></head><body><p>Lighthouse keeping notes</p></body></html>"
            .getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
    index();

    assertThat(lexical(alice, "lighthouse").getHitsList()).hasSize(1);
    assertThat(lexical(alice, "secretcode").getHitsList()).isEmpty();
  }

  @Test
  void newVersionIsReindexedAndItsOldWordsAreGone() {
    TestUser alice = SERVER.newUser("alice");
    String item = text(alice, "Notes about zeppelins.");
    index();
    newVersion(alice, item, "Notes about hovercraft.");
    index();

    assertThat(lexical(alice, "zeppelins").getHitsList()).isEmpty();
    var hit = lexical(alice, "hovercraft").getHits(0);
    assertThat(hit.getVersion()).isEqualTo(2);
  }

  @Test
  void deletedItemIsGoneOnTheVeryNextCall() {
    TestUser alice = SERVER.newUser("alice");
    String item = text(alice, "The albatross flies far.");
    index();
    assertThat(lexical(alice, "albatross").getHitsList()).hasSize(1);

    delete(alice, item); // no job runs in between

    assertThat(lexical(alice, "albatross").getHitsList()).isEmpty();
    assertThat(superuser("SELECT count(*) FROM cairn.search_chunks WHERE item_id = ?", id(item))).containsExactly("0");
  }

  @Test
  void searchableFalseRemovesTheChunksAtOnce() {
    TestUser alice = SERVER.newUser("alice");
    String item = text(alice, "Capybaras are large rodents.");
    index();

    setSearchable(alice, item, false);

    assertThat(lexical(alice, "capybaras").getHitsList()).isEmpty();
    assertThat(superuser("SELECT count(*) FROM cairn.search_chunks WHERE item_id = ?", id(item))).containsExactly("0");
  }

  @Test
  void prefixStageFindsWordsBeingTyped() {
    TestUser alice = SERVER.newUser("alice");
    text(alice, "Quantum computing basics.");
    index();

    var response = lexical(alice, "quantum compu");

    assertThat(response.getStagesList()).extracting(s -> s.getStage())
        .containsExactly(SearchStage.SEARCH_STAGE_EXACT, SearchStage.SEARCH_STAGE_PREFIX);
    assertThat(response.getHits(0).getStage()).isEqualTo(SearchStage.SEARCH_STAGE_PREFIX);
    var hit = response.getHits(0);
    var marked = hit.getSnippet().getHighlightsList().stream()
        .map(h -> codePoints(hit.getSnippet().getText(), h.getStart(), h.getEnd())).toList();
    assertThat(marked).containsExactly("Quantum", "computing");
  }

  @Test
  void pagesFollowEachOtherWithoutRepeatsOrGaps() {
    TestUser alice = SERVER.newUser("alice");
    for (int i = 0; i < 5; i++) {
      text(alice, "Meteorite fragment " + i + " " + "meteorite ".repeat(i));
    }
    index();

    assertPagesFollowEachOther(alice, "meteorite");
  }

  /** The same over the chunks' vectors (an excluded word is websearch syntax: not ranked from postings). */
  @Test
  void pagesOfAQueryWithSyntaxFollowEachOtherToo() {
    TestUser alice = SERVER.newUser("alice");
    for (int i = 0; i < 5; i++) {
      text(alice, "Meteorite fragment " + i + " " + "meteorite ".repeat(i));
    }
    index();

    assertPagesFollowEachOther(alice, "meteorite -basalt");
  }

  private static void assertPagesFollowEachOther(TestUser alice, String query) {
    var first = search(alice).search(request(query).setPageSize(2).build());
    var second = search(alice).search(request(query).setPageSize(2).setPageToken(first.getNextPageToken()).build());
    var third = search(alice).search(request(query).setPageSize(2).setPageToken(second.getNextPageToken()).build());

    var all = new java.util.ArrayList<String>();
    List.of(first, second, third).forEach(r -> r.getHitsList().forEach(h -> all.add(h.getItem())));
    assertThat(all).hasSize(5).doesNotHaveDuplicates();
    assertThat(third.getNextPageToken()).isEmpty();
    assertThat(first.getHits(0).getScore()).isGreaterThanOrEqualTo(first.getHits(1).getScore());
  }

  @Test
  void filtersNarrowToTheNamedItemsAndMediaTypes() {
    TestUser alice = SERVER.newUser("alice");
    String plain = text(alice, "Volcano eruption log.");
    String md = markdown(alice, "Volcano eruption essay.");
    index();

    var byItem = search(alice).search(request("volcano")
        .setFilter(dev.cairn.search.v1.SearchFilter.newBuilder().addItems(plain)).build());
    var byType = search(alice).search(request("volcano")
        .setFilter(dev.cairn.search.v1.SearchFilter.newBuilder().addMediaTypes("text/markdown")).build());

    assertThat(byItem.getHitsList()).extracting(SearchHit::getItem).containsExactly(plain);
    assertThat(byType.getHitsList()).extracting(SearchHit::getItem).containsExactly(md);
  }

  @Test
  void itemLanguageLabelStemsInThatLanguage() {
    TestUser alice = SERVER.newUser("alice");
    document(alice, "text/plain", "Die Katzen schlafen im Garten.".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        Map.of("search.language", "german"));
    index();

    // German stemming: "Katze" and "Katzen" share a lexeme; the query is parsed per configuration in use
    assertThat(lexical(alice, "Katze").getHitsList()).hasSize(1);
  }

  @Test
  void aGranteesQueryIsParsedInTheLanguagesOfWhatIsSharedWithItToo() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    document(bob, "text/plain", "Cats sleep in the garden.".getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
    String katzen = document(alice, "text/plain", "Die Katzen schlafen im Garten.".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        Map.of("search.language", "german"));
    grant(alice, bob, katzen, null);
    index();

    // Bob's own chunks are English only: "Katze" reaches "Katzen" through German, which only the shared item uses
    assertThat(lexical(bob, "Katze").getHitsList()).extracting(SearchHit::getItem).containsExactly(katzen);
  }

  @Test
  void aQueryInANamedLanguageIsParsedInItAlone() {
    TestUser alice = SERVER.newUser("alice");
    String katzen = document(alice, "text/plain", "Die Katzen schlafen im Garten.".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        Map.of("search.language", "german"));
    index();

    var german = search(alice).search(request("schlafen").setLanguage("german").build());
    var english = search(alice).search(request("schlafen").setLanguage("english").build());

    // German stems "schlafen" to the item's lexeme "schlaf"; English leaves it whole, so no exact match
    assertThat(german.getHitsList()).extracting(SearchHit::getItem).containsExactly(katzen);
    assertThat(german.getHits(0).getStage()).isEqualTo(SearchStage.SEARCH_STAGE_EXACT);
    assertThat(english.getHitsList()).noneMatch(h -> h.getStage() == SearchStage.SEARCH_STAGE_EXACT);
  }
}
