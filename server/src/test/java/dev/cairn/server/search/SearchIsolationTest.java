package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Search sees only what the caller may read: a grantee finds a shared item and the hit names the
 * grant (and the owner's chain records the read); revocation, expiry and deletion take effect on
 * the next call; a stranger learns nothing, not through hits, counts, stages or explain.
 */
class SearchIsolationTest {

  @Test
  void granteeFindsASharedItemAndTheHitNamesTheGrant() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String item = text(alice, "Aardvark burrow survey.");
    index();
    String grant = grant(alice, bob, item, null);

    var hits = lexical(bob, "aardvark").getHitsList();

    assertThat(hits).extracting(SearchHit::getItem).containsExactly(item);
    assertThat(hits.getFirst().getGrant()).isEqualTo(grant);
    SERVER.chainAudit();
    assertThat(superuser("SELECT via_grant::text FROM cairn.audit_events WHERE owner_id = ? AND action = 'ITEM_SEARCH_HIT' AND target = ?",
        id(alice), item)).containsExactly(id(grant).toString());
  }

  @Test
  void revokedGrantHidesTheItemOnTheNextCall() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String item = text(alice, "Narwhal tusk measurements.");
    index();
    String grant = grant(alice, bob, item, null);
    assertThat(lexical(bob, "narwhal").getHitsList()).hasSize(1);

    revoke(alice, grant);

    assertThat(lexical(bob, "narwhal").getHitsList()).isEmpty();
  }

  @Test
  void expiredGrantHidesTheItemOnTheNextCall() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String item = text(alice, "Okapi sightings this spring.");
    index();
    grant(alice, bob, item, CairnTestServer.CLOCK.instant().plus(Duration.ofHours(1)));
    assertThat(lexical(bob, "okapi").getHitsList()).hasSize(1);
    try {
      CairnTestServer.CLOCK.advance(Duration.ofHours(2));

      assertThat(lexical(bob, "okapi").getHitsList()).isEmpty();
    } finally {
      CairnTestServer.CLOCK.reset();
    }
  }

  @Test
  void ownedOnlyLeavesSharedItemsOut() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String item = text(alice, "Pangolin scales.");
    index();
    grant(alice, bob, item, null);

    var owned = search(bob).search(request("pangolin")
        .setFilter(dev.cairn.search.v1.SearchFilter.newBuilder().setOwnedOnly(true)).build());

    assertThat(owned.getHitsList()).isEmpty();
  }

  @Test
  void strangerLearnsNothingThroughHitsCountsStagesOrExplain() {
    TestUser alice = SERVER.newUser("alice");
    TestUser stranger = SERVER.newUser("stranger");
    text(alice, "Quokka colony on the island, quokka census.");
    text(stranger, "Nothing relevant here.");
    index();

    var response = search(stranger).search(request("quokka").setExplain(true).build());
    var prefix = search(stranger).search(request("quok").setExplain(true).build());

    assertThat(response.getHitsList()).isEmpty();
    assertThat(response.getStagesList()).allSatisfy(s -> assertThat(s.getCandidateCount()).isZero());
    assertThat(prefix.getHitsList()).isEmpty();
    assertThat(prefix.getStagesList()).allSatisfy(s -> assertThat(s.getCandidateCount()).isZero());
    // and the owner still finds it, so the stranger's nothing is isolation, not a broken index
    assertThat(lexical(alice, "quokka").getHitsList()).hasSize(1);
  }

  @Test
  void granteeScoresDoNotDependOnTheOwnersUnsharedItems() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    TestUser carol = SERVER.newUser("carol");
    String shared = text(alice, "Wombat burrows are cube shaped.");
    index();
    grant(alice, bob, shared, null);
    grant(alice, carol, shared, null);
    double before = search(bob).search(request("wombat").setExplain(true).build()).getHits(0).getScore();

    // Alice adds unshared wombat items: the df of "wombat" in her statistics changes, Bob's must not
    for (int i = 0; i < 5; i++) {
      text(alice, "Wombat diary entry " + i);
    }
    index();

    double after = search(bob).search(request("wombat").setExplain(true).build()).getHits(0).getScore();
    assertThat(after).isEqualTo(before);
    assertThat(search(alice).search(request("wombat").build()).getHitsCount()).isEqualTo(6);
  }

  @Test
  void sqlAsAStrangerSeesNoChunksOrStatistics() {
    TestUser alice = SERVER.newUser("alice");
    TestUser stranger = SERVER.newUser("stranger");
    text(alice, "Manatee feeding grounds.");
    index();

    var db = SERVER.server().database();
    long chunks = db.transaction(dev.cairn.server.core.Principal.system(id(stranger)), sql ->
        (long) sql.fetchCount(dev.cairn.server.db.jooq.Tables.SEARCH_CHUNKS,
            dev.cairn.server.db.jooq.Tables.SEARCH_CHUNKS.OWNER_ID.eq(id(alice))));
    long terms = db.transaction(dev.cairn.server.core.Principal.system(id(stranger)), sql ->
        (long) sql.fetchCount(dev.cairn.server.db.jooq.Tables.SEARCH_TERMS,
            dev.cairn.server.db.jooq.Tables.SEARCH_TERMS.OWNER_ID.eq(id(alice))));

    assertThat(chunks).isZero();
    assertThat(terms).isZero();
    assertThat(superuser("SELECT count(*) FROM cairn.search_terms WHERE owner_id = ?", id(alice))).doesNotContain("0");
  }

  /**
   * The postings plain words are ranked from (V31) are under the chunks' read rule in the database
   * itself: a stranger's transaction reads none of an owner's, a grantee exactly the shared item's,
   * and the application role cannot write any.
   */
  @Test
  void postingsAreReadableOnlyAsTheirChunksAre() {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String shared = text(alice, "Pangolin scales, pangolin diet.");
    String kept = text(alice, "Pangolin sightings near the river.");
    index();
    var db = SERVER.server().database();
    var asBob = dev.cairn.server.core.Principal.system(id(bob));
    String visible = "SELECT count(*) FROM cairn.search_postings WHERE owner_id = {0}";

    Object strangers = db.transaction(asBob, sql -> sql.fetchValue(visible, id(alice)));
    assertThat(strangers).hasToString("0");
    grant(alice, bob, shared, null);
    java.util.List<java.util.UUID> granted = db.transaction(asBob, sql -> sql.fetch(
        "SELECT DISTINCT item_id FROM cairn.search_postings WHERE owner_id = {0}", id(alice)).getValues(0, java.util.UUID.class));
    assertThat(granted).containsExactly(id(shared));
    assertThat(superuser("SELECT count(*) FROM cairn.search_postings WHERE item_id = ?", id(kept)).getFirst()).isNotEqualTo("0");
    var asAlice = dev.cairn.server.core.Principal.system(id(alice));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> db.transaction(asAlice, sql -> sql.execute("""
        INSERT INTO cairn.search_postings (owner_id, lexeme, item_id, version, ordinal, language, occurrences, chunk_length)
        VALUES ({0}, 'forged', {1}, 1, 0, 'english', 1, 1)""", id(alice), id(kept))))
        .hasMessageContaining("permission denied");
  }
}
