package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchStage;
import dev.cairn.search.v1.StageReport;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import org.junit.jupiter.api.Test;

/**
 * The TYPO stage end to end: misspelt words are corrected against the caller's own vocabulary
 * after Meilisearch's rules (none under 5 letters, 1 from 5, 2 from 9; numbers and codes never),
 * the hits are labelled TYPO with the corrections in explain, and the vocabulary follows the index
 * (new versions and deletions).
 */
class TypoSearchTest {

  @Test
  void aMisspeltWordFindsTheDocumentLabelledTypoWithTheCorrectionExplained() {
    TestUser ana = SERVER.newUser("ana");
    String item = text(ana, "Dark chocolate melts at body temperature.");
    text(ana, "Nothing about sweets here.");
    index();

    SearchResponse response = explained(ana, "chocolte");

    assertThat(response.getHitsList()).extracting(SearchHit::getItem).containsExactly(item);
    SearchHit hit = response.getHits(0);
    assertThat(hit.getStage()).isEqualTo(SearchStage.SEARCH_STAGE_TYPO);
    assertThat(hit.getExplanation().getCorrectionsList()).containsExactly("chocolte→chocolate");
    assertThat(hit.getExplanation().getMatchedTermsList()).containsExactly("chocol");
    assertThat(typoReport(response).getRewrittenQuery()).isEqualTo("chocolate");
    assertThat(typoReport(response).getCandidateCount()).isEqualTo(1);
    var marked = hit.getSnippet().getHighlightsList().stream()
        .map(h -> codePoints(hit.getSnippet().getText(), h.getStart(), h.getEnd())).toList();
    assertThat(marked).containsExactly("chocolate");
    // HYBRID's lexical half takes the same stage
    var hybrid = search(ana).search(request("chocolte").setMode(SearchMode.SEARCH_MODE_HYBRID).build());
    assertThat(hybrid.getHits(0).getItem()).isEqualTo(item);
    assertThat(hybrid.getHits(0).getStage()).isEqualTo(SearchStage.SEARCH_STAGE_TYPO);
  }

  @Test
  void onlyTheWordThatMatchedNothingIsCorrected() {
    TestUser ana = SERVER.newUser("ana");
    String item = text(ana, "The solar panel was installed on the roof.");
    text(ana, "A panel discussed wind policy.");
    index();

    // a phrase: EXACT needs both words, "solar" matched, "panal" did not
    SearchResponse response = explained(ana, "\"solar panal\"");

    assertThat(response.getHitsList()).extracting(SearchHit::getItem).containsExactly(item);
    assertThat(response.getHits(0).getExplanation().getCorrectionsList()).containsExactly("panal→panel");
    assertThat(typoReport(response).getRewrittenQuery()).isEqualTo("\"solar panel\"");
  }

  @Test
  void wordsUnderFiveLettersNumbersAndCodesAreNotCorrected() {
    TestUser ana = SERVER.newUser("ana");
    text(ana, "The brass lamp and five lamps, six lamps, cost 48213 crowns; the kestrel flew.");
    index();

    assertNotCorrected(ana, "lamq"); // 4 letters
    assertNotCorrected(ana, "48214"); // a number
    assertNotCorrected(ana, "48213x"); // an id
    assertNotCorrected(ana, "KESTREK"); // capitals alone: a code
    // the same misspellings one letter longer, or in lower case, are corrected
    assertThat(explained(ana, "lampz").getHits(0).getExplanation().getCorrectionsList()).containsExactly("lampz→lamps");
    assertThat(explained(ana, "kestrek").getHits(0).getExplanation().getCorrectionsList()).containsExactly("kestrek→kestrel");
  }

  @Test
  void twoTyposFromNineLettersButNotAtEight() {
    TestUser ana = SERVER.newUser("ana");
    String telescope = text(ana, "The telescope was pointed north.");
    String elephant = text(ana, "An elephant crossed the river.");
    index();

    // 9 letters, two substitutions
    var nine = explained(ana, "tekezcope");
    assertThat(nine.getHitsList()).extracting(SearchHit::getItem).containsExactly(telescope);
    assertThat(nine.getHits(0).getExplanation().getCorrectionsList()).containsExactly("tekezcope→telescope");
    // 8 letters: two substitutions are too many, one is not
    assertNotCorrected(ana, "elepfamt");
    assertThat(explained(ana, "elephamt").getHitsList()).extracting(SearchHit::getItem).containsExactly(elephant);
  }

  @Test
  void aTypoOnTheFirstLetterCountsAsTwo() {
    TestUser ana = SERVER.newUser("ana");
    text(ana, "A quiet harbour at dawn.");
    index();

    assertNotCorrected(ana, "jarbour"); // 7 letters: one typo, but on the first letter
    assertThat(explained(ana, "harbpur").getHits(0).getExplanation().getCorrectionsList()).containsExactly("harbpur→harbour");
  }

  @Test
  void theCorrectionIsTheClosestWordThenTheMostFrequent() {
    TestUser ana = SERVER.newUser("ana");
    text(ana, "Dogs breed. The breed standard. Another breed.");
    text(ana, "Fresh bread.");
    text(ana, "Brewed coffee.");
    index();

    // "breed" and "bread" are one typo away, "brewed" one too but is rarer than "breed"
    assertThat(explained(ana, "brewd").getHits(0).getExplanation().getCorrectionsList()).containsExactly("brewd→breed");
  }

  @Test
  void aNewVersionOrADeletionTakesItsWordsOutOfTheCorrections() {
    TestUser ana = SERVER.newUser("ana");
    String item = text(ana, "A xylophone concert.");
    index();
    assertThat(explained(ana, "xylophome").getHits(0).getStage()).isEqualTo(SearchStage.SEARCH_STAGE_TYPO);

    newVersion(ana, item, "A marimba concert.");
    // before the new version is indexed, the old version's words are already out of reach
    assertNotCorrected(ana, "xylophome");
    index();

    assertNotCorrected(ana, "xylophome");
    assertThat(explained(ana, "marimbq").getHitsList()).extracting(SearchHit::getItem).containsExactly(item);

    delete(ana, item);

    assertNotCorrected(ana, "marimbq");
    assertThat(superuser("SELECT count(*) FROM cairn.search_words WHERE item_id = ?", id(item))).containsExactly("0");
  }

  @Test
  void typoHitsPageOnWithTheirStage() {
    TestUser ana = SERVER.newUser("ana");
    java.util.Set<String> items = new java.util.HashSet<>();
    for (int i = 0; i < 7; i++) {
      items.add(text(ana, "Meteorite fragment " + i + " " + "meteorite ".repeat(i)));
    }
    index();

    java.util.List<String> seen = new java.util.ArrayList<>();
    String token = "";
    do {
      var page = search(ana).search(request("meteorrite").setPageSize(3).setPageToken(token).build());
      page.getHitsList().forEach(h -> {
        assertThat(h.getStage()).isEqualTo(SearchStage.SEARCH_STAGE_TYPO);
        seen.add(h.getItem());
      });
      token = page.getNextPageToken();
    } while (!token.isEmpty());

    assertThat(seen).hasSize(7).containsExactlyInAnyOrderElementsOf(items);
  }

  static SearchResponse explained(TestUser user, String query) {
    return search(user).search(request(query).setExplain(true).build());
  }

  static StageReport typoReport(SearchResponse response) {
    return response.getStagesList().stream().filter(s -> s.getStage() == SearchStage.SEARCH_STAGE_TYPO).findFirst()
        .orElseThrow(() -> new AssertionError("no TYPO stage in " + response.getStagesList()));
  }

  /** No correction, so no TYPO hit: the stage ran and found nothing, and nothing was rewritten. */
  static void assertNotCorrected(TestUser user, String query) {
    SearchResponse response = explained(user, query);
    assertThat(response.getHitsList()).as(query).noneSatisfy(h -> assertThat(h.getStage()).isEqualTo(SearchStage.SEARCH_STAGE_TYPO));
    assertThat(response.getHitsList()).as(query).allSatisfy(h -> assertThat(h.getExplanation().getCorrectionsList()).isEmpty());
    StageReport typo = typoReport(response);
    assertThat(typo.getCandidateCount()).as(query).isZero();
    assertThat(typo.getRewrittenQuery()).as(query).isEmpty();
  }
}
