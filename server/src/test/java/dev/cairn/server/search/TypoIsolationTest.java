package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static dev.cairn.server.search.TypoSearchTest.assertNotCorrected;
import static dev.cairn.server.search.TypoSearchTest.explained;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchStage;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.core.Principal;
import java.util.List;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/**
 * The TYPO stage corrects only with words of items the caller can read: a stranger's words are
 * never a hit, a correction, a rewritten query or a count; a grant opens its item's words, and its
 * revocation closes them on the next call.
 */
class TypoIsolationTest {

  @Test
  void aStrangersWordIsNeverACorrection() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    text(alice, "The xylophone recital, xylophone solo.");
    text(bob, "Notes on a piano recital.");
    index();

    var response = explained(bob, "xylophome");

    assertThat(response.getHitsList()).isEmpty();
    assertNotCorrected(bob, "xylophome");
    assertThat(response.getStagesList()).allSatisfy(s -> {
      assertThat(s.getCandidateCount()).isZero();
      assertThat(s.getRewrittenQuery()).isEmpty();
    });
    // the owner's own misspelling is corrected, so bob's nothing is isolation, not a broken stage
    assertThat(explained(alice, "xylophome").getHits(0).getExplanation().getCorrectionsList())
        .containsExactly("xylophome→xylophone");
  }

  @Test
  void aGrantOpensTheItemsWordsAndItsRevocationClosesThemOnTheNextCall() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String item = text(alice, "Tardigrade survival in vacuum.");
    index();
    assertNotCorrected(bob, "tardigrqde");

    String grant = grant(alice, bob, item, null);
    var shared = explained(bob, "tardigrqde");
    assertThat(shared.getHitsList()).extracting(SearchHit::getItem).containsExactly(item);
    assertThat(shared.getHits(0).getStage()).isEqualTo(SearchStage.SEARCH_STAGE_TYPO);
    assertThat(shared.getHits(0).getGrant()).isEqualTo(grant);
    assertThat(shared.getHits(0).getExplanation().getCorrectionsList()).containsExactly("tardigrqde→tardigrade");

    revoke(alice, grant);

    assertThat(explained(bob, "tardigrqde").getHitsList()).isEmpty();
    assertNotCorrected(bob, "tardigrqde");
  }

  @Test
  void countsThatRankCorrectionsAreThoseOfReadableItemsOnly() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    // alice's unshared item says "bread" many times; the one she shares says it once
    text(alice, "Bread, bread, bread, bread, bread: a bakery's bread list.");
    String shared = text(alice, "Fresh bread.");
    text(bob, "A breed register, the breed standard.");
    index();
    grant(alice, bob, shared, null);

    // one typo from both: bob can read "breed" twice and "bread" once
    var response = explained(bob, "brewd");

    assertThat(response.getHits(0).getExplanation().getCorrectionsList()).containsExactly("brewd→breed");
    // alice, who reads all her "bread"s, gets the other correction
    assertThat(explained(alice, "brewd").getHits(0).getExplanation().getCorrectionsList()).containsExactly("brewd→bread");
  }

  @Test
  void theVocabularyLookupAnswersForTheCallersOwnWordsAlone() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    text(alice, "Zeppelin hangars of the airship era.");
    text(bob, "Notes on a piano recital.");
    index();

    assertThat(candidates(Principal.system(id(alice)), "zeppelim")).containsExactly("zeppelin");
    assertThat(candidates(Principal.system(id(bob)), "zeppelim")).isEmpty();
    assertThat(candidates(Principal.anonymous(), "zeppelim")).isEmpty();
    // the table itself: bob's rows hold only his own words
    assertThat(superuser("SELECT word FROM cairn.search_vocabulary WHERE owner_id = ?", id(bob)))
        .contains("piano").doesNotContain("zeppelin", "airship");
  }

  @Test
  void aDeletedItemsWordsLeaveTheOwnersVocabularyUnlessAnotherItemHasThem() {
    TestUser alice = SERVER.newUser("alice");
    String both = text(alice, "The xylophone and the zeppelin.");
    text(alice, "A zeppelin over the bay.");
    index();
    assertThat(vocabulary(alice, "xylophone")).containsExactly("1");
    assertThat(vocabulary(alice, "zeppelin")).containsExactly("2");

    delete(alice, both);

    assertThat(vocabulary(alice, "xylophone")).isEmpty();
    assertThat(vocabulary(alice, "zeppelin")).containsExactly("1");
    assertNotCorrected(alice, "xylophome");
    assertThat(explained(alice, "zeppelim").getHits(0).getExplanation().getCorrectionsList())
        .containsExactly("zeppelim→zeppelin");
  }

  /** The owner's vocabulary row for the word: in how many items it is (none: no row). */
  private static List<String> vocabulary(TestUser owner, String word) {
    return superuser("SELECT items FROM cairn.search_vocabulary WHERE owner_id = ? AND word = ?", id(owner), word);
  }

  /** What the vocabulary lookup returns to {@code caller}, through the application role and its row-level security. */
  private static List<String> candidates(Principal caller, String word) {
    return SERVER.server().database().transaction(caller, sql -> {
      sql.execute("SELECT set_config('pg_trgm.similarity_threshold', '0.15', true)");
      return sql.resultQuery("SELECT word FROM cairn.own_vocabulary_candidates({0}, 1, 64, 200)", DSL.val(word))
          .fetch(r -> r.get(0, String.class));
    });
  }
}
