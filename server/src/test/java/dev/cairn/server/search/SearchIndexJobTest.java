package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.GetIndexStatusRequest;
import dev.cairn.search.v1.ItemIndexStatus;
import dev.cairn.search.v1.ReindexItemRequest;
import dev.cairn.server.search.index.IndexOutcome;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The index job: idempotent, never overwritten by an older version, permanent failures recorded once. */
class SearchIndexJobTest {

  private static ItemIndexStatus status(TestUser user, String item) {
    return search(user).getIndexStatus(GetIndexStatusRequest.newBuilder().setItem(item).build()).getItemStatus();
  }

  @Test
  void indexingTheSameVersionTwiceLeavesOneSetOfChunks() throws Exception {
    TestUser alice = SERVER.newUser("alice");
    String item = text(alice, "Hedgehogs hibernate. ".repeat(400));
    index();
    String before = superuser("SELECT count(*) FROM cairn.search_chunks WHERE item_id = ?", id(item)).getFirst();

    assertThat(indexer().indexVersion(id(alice), id(item), 1)).isEqualTo(IndexOutcome.INDEXED);
    assertThat(indexer().indexVersion(id(alice), id(item), 1)).isEqualTo(IndexOutcome.INDEXED);

    assertThat(Integer.parseInt(before)).isGreaterThan(1);
    assertThat(superuser("SELECT count(*) FROM cairn.search_chunks WHERE item_id = ?", id(item))).containsExactly(before);
    assertThat(superuser("SELECT count(DISTINCT ordinal) FROM cairn.search_chunks WHERE item_id = ?", id(item))).containsExactly(before);
    // the owner's statistics follow the chunks exactly
    assertThat(superuser("SELECT chunks FROM cairn.search_terms WHERE owner_id = ? AND lexeme = 'hedgehog'", id(alice)))
        .containsExactly(before);
    assertThat(status(alice, item).getChunkCount()).isEqualTo(Integer.parseInt(before));
  }

  @Test
  void anOlderVersionsRunAfterANewerOneWritesNothing() throws Exception {
    TestUser alice = SERVER.newUser("alice");
    String item = text(alice, "Version one mentions lemurs.");
    index();
    newVersion(alice, item, "Version two mentions gibbons.");
    index();

    assertThat(indexer().indexVersion(id(alice), id(item), 1)).isEqualTo(IndexOutcome.SUPERSEDED);

    assertThat(lexical(alice, "lemurs").getHitsList()).isEmpty();
    assertThat(lexical(alice, "gibbons").getHitsList()).hasSize(1);
    assertThat(superuser("SELECT DISTINCT version FROM cairn.search_chunks WHERE item_id = ?", id(item))).containsExactly("2");
  }

  @Test
  void malformedPdfIsFailedWithItsReasonAndNotRetried() {
    TestUser alice = SERVER.newUser("alice");
    String item = document(alice, "application/pdf", "%PDF-1.7\nthis is not a pdf at all".getBytes(StandardCharsets.UTF_8), Map.of());

    index();

    var status = status(alice, item);
    assertThat(status.getState()).isEqualTo(ItemIndexStatus.State.STATE_FAILED);
    assertThat(status.getError()).startsWith("malformed");
    assertThat(superuser("SELECT state || ':' || attempts FROM cairn.jobs WHERE kind = 'search-index' AND payload->>'item' = ?",
        id(item).toString())).containsExactly("DONE:1");
  }

  @Test
  void statusGoesFromPendingToIndexedAndReindexMakesItPendingAgain() {
    TestUser alice = SERVER.newUser("alice");
    String item = text(alice, "Status of the tapir report.");
    assertThat(status(alice, item).getState()).isEqualTo(ItemIndexStatus.State.STATE_PENDING);
    var summary = search(alice).getIndexStatus(GetIndexStatusRequest.getDefaultInstance()).getSummary();
    assertThat(summary.getPendingCount()).isEqualTo(1);

    index();
    assertThat(status(alice, item).getState()).isEqualTo(ItemIndexStatus.State.STATE_INDEXED);
    assertThat(status(alice, item).getIndexedVersion()).isEqualTo(1);

    var reindexed = search(alice).reindexItem(ReindexItemRequest.newBuilder().setName(item).build()).getStatus();
    assertThat(reindexed.getState()).isEqualTo(ItemIndexStatus.State.STATE_PENDING);
    index();
    assertThat(status(alice, item).getState()).isEqualTo(ItemIndexStatus.State.STATE_INDEXED);
    summary = search(alice).getIndexStatus(GetIndexStatusRequest.getDefaultInstance()).getSummary();
    assertThat(summary.getIndexedCount()).isEqualTo(1);
    assertThat(summary.getPendingCount()).isZero();
  }

  @Test
  void purgeTakesTheChunksAndStatisticsWithTheItem() {
    TestUser alice = SERVER.newUser("alice");
    String item = text(alice, "Axolotl regeneration.");
    index();
    var db = SERVER.server().database();

    // what ItemPurger does once retention ran out: the item row goes (as the owner)
    db.transaction(dev.cairn.server.core.Principal.system(id(alice)), sql ->
        sql.deleteFrom(dev.cairn.server.db.jooq.Tables.ITEMS).where(dev.cairn.server.db.jooq.Tables.ITEMS.ID.eq(id(item))).execute());

    assertThat(superuser("SELECT count(*) FROM cairn.search_chunks WHERE item_id = ?", id(item))).containsExactly("0");
    assertThat(superuser("SELECT count(*) FROM cairn.search_terms WHERE owner_id = ? AND lexeme = 'axolotl'", id(alice)))
        .containsExactly("0");
    assertThat(superuser("SELECT chunks FROM cairn.search_stats WHERE owner_id = ?", id(alice))).containsExactly("0");
  }

  /**
   * The postings plain-word queries are ranked from (V31) are exactly the lexemes of the stored
   * chunks, through a new version (the old version's go) and a purge (all go).
   */
  @Test
  void postingsFollowTheChunksThroughNewVersionsAndPurge() {
    TestUser alice = SERVER.newUser("alice");
    String item = text(alice, "Axolotl regeneration of limbs, axolotl hearts.");
    index();
    assertThat(postingsDifferFromChunks(item)).isEqualTo("0");
    assertThat(superuser("SELECT occurrences || ':' || version FROM cairn.search_postings WHERE item_id = ? AND lexeme = 'axolotl'",
        id(item))).containsExactly("2:1");

    newVersion(alice, item, "Salamander eyes.");
    index();
    assertThat(postingsDifferFromChunks(item)).isEqualTo("0");
    assertThat(superuser("SELECT DISTINCT version FROM cairn.search_postings WHERE item_id = ?", id(item))).containsExactly("2");
    assertThat(superuser("SELECT count(*) FROM cairn.search_postings WHERE item_id = ? AND lexeme = 'axolotl'", id(item)))
        .containsExactly("0");

    SERVER.server().database().transaction(dev.cairn.server.core.Principal.system(id(alice)), sql ->
        sql.deleteFrom(dev.cairn.server.db.jooq.Tables.ITEMS).where(dev.cairn.server.db.jooq.Tables.ITEMS.ID.eq(id(item))).execute());
    assertThat(superuser("SELECT count(*) FROM cairn.search_postings WHERE item_id = ?", id(item))).containsExactly("0");
  }

  /** How many rows the item's postings and its chunks' unnested lexemes do not have in common. */
  private static String postingsDifferFromChunks(String item) {
    return superuser("""
        WITH c AS (SELECT c.owner_id, u.lexeme, c.item_id, c.version, c.ordinal, c.language, cardinality(u.positions) AS n,
                          c.lexeme_count FROM cairn.search_chunks c, unnest(c.tsv) u WHERE c.item_id = ?),
             p AS (SELECT owner_id, lexeme, item_id, version, ordinal, language, occurrences, chunk_length
                     FROM cairn.search_postings WHERE item_id = ?)
        SELECT (SELECT count(*) FROM (SELECT * FROM c EXCEPT SELECT * FROM p) a)
             + (SELECT count(*) FROM (SELECT * FROM p EXCEPT SELECT * FROM c) b)
             + (SELECT CASE WHEN count(*) = 0 THEN 1 ELSE 0 END FROM p)""", id(item), id(item)).getFirst();
  }
}
