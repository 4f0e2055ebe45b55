package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.conf.ParamType;
import org.junit.jupiter.api.Test;

/**
 * The ranking statement's plan on 30 000 chunks of 20 owners (100 items each): the caller's chunks are
 * reached through the owner's index entries, not a scan of everyone's. Prints EXPLAIN (ANALYZE) for the notes.
 */
class SearchPlanTest {
  private static final int ITEMS_PER_OWNER = 100;
  private static final int CHUNKS_PER_ITEM = 15;

  @Test
  void candidatesAreReachedThroughTheOwnersIndexEntries() throws Exception {
    List<TestUser> owners = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      owners.add(SERVER.newUser("plan"));
    }
    try {
      assertPlans(owners);
    } finally {
      // the synthetic items have no versions: left behind, a later vector backfill would queue
      // index jobs for them that can only fail (VectorSyncTest's did, waiting out their retries)
      for (TestUser owner : owners) {
        superuser("WITH gone AS (DELETE FROM cairn.items WHERE owner_id = ? RETURNING 1) SELECT count(*) FROM gone", id(owner));
      }
    }
  }

  private static void assertPlans(List<TestUser> owners) throws Exception {
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var items = c.prepareStatement("""
            INSERT INTO cairn.items (id, owner_id, kind, media_type, searchable, current_version)
            SELECT gen_random_uuid(), ?, 'DOCUMENT', 'text/plain', true, 1 FROM generate_series(1, ?)""");
        var chunks = c.prepareStatement("""
            INSERT INTO cairn.search_chunks (owner_id, item_id, version, ordinal, start_cp, end_cp, language, ciphertext, tsv)
            SELECT i.owner_id, i.id, 1, g, 0, 1, 'english', '\\x00'::bytea,
                   to_tsvector('english', (SELECT string_agg('w' || (abs(hashtext(i.id::text || ':' || g || ':' || k)) % 5000), ' ')
                                             FROM generate_series(1, 60) k))
              FROM cairn.items i, generate_series(0, ?) g WHERE i.owner_id = ?""")) {
      for (TestUser owner : owners) {
        items.setObject(1, id(owner));
        items.setInt(2, ITEMS_PER_OWNER);
        items.executeUpdate();
        chunks.setInt(1, CHUNKS_PER_ITEM - 1);
        chunks.setObject(2, id(owner));
        chunks.executeUpdate();
      }
      c.createStatement().execute("ANALYZE cairn.search_chunks");
      c.createStatement().execute("ANALYZE cairn.items");
      c.createStatement().execute("VACUUM ANALYZE cairn.search_postings");
    }
    var me = owners.getFirst();
    var repo = new SearchRepository();
    List<String> plan = SERVER.server().database().transaction(Principal.system(id(me)), sql -> {
      var query = repo.rankQuery(sql, Principal.system(id(me)), List.of(id(me)),
          Map.of("english", "'w17' | 'w42'"), Search.Filter.NONE, Map.of("w17", 4.2, "w42", 4.1),
          java.util.Set.of(), 60, SearchSettings.defaults(), null, 11);
      return sql.fetch("EXPLAIN (ANALYZE, BUFFERS) " + query.getSQL(ParamType.INLINED)).getValues(0, String.class);
    });
    System.out.println("chunks: " + superuser("SELECT count(*) FROM cairn.search_chunks").getFirst());
    plan.forEach(System.out::println);
    // the owner's rows are reached through an index on either side, never by scanning everyone's
    // (at 100 items per owner PostgreSQL picks items by owner, then the chunk key; the owner-leading
    // GIN index is there for owners with many more chunks)
    assertThat(String.join("\n", plan)).doesNotContain("Seq Scan on search_chunks").doesNotContain("Seq Scan on items");

    // plain words: the terms' postings through their (owner, lexeme) key, not a scan of everyone's
    List<String> postings = SERVER.server().database().transaction(Principal.system(id(me)), sql -> {
      var query = repo.rankTermsQuery(sql, Principal.system(id(me)), List.of(id(me)),
          List.of(new SearchRepository.Term("w17", "english", 4.2), new SearchRepository.Term("w42", "english", 4.1)),
          Search.Filter.NONE, 60, SearchSettings.defaults(), null, 11);
      return sql.fetch("EXPLAIN (ANALYZE, BUFFERS) " + query.getSQL(ParamType.INLINED)).getValues(0, String.class);
    });
    postings.forEach(System.out::println);
    assertThat(String.join("\n", postings)).contains("using search_postings_pkey on search_postings")
        .doesNotContain("Seq Scan on search_postings").doesNotContain("Seq Scan on items");
    // and the owner's items are read once through their owner, not probed once per matching chunk
    List<String> itemScans = postings.stream().filter(line -> line.contains(" on items  (")).toList();
    assertThat(itemScans).isNotEmpty().allSatisfy(line -> assertThat(line).contains("loops=1)"));
  }

  /**
   * The query reaches PostgreSQL as a tsquery (and its configuration as a regconfig), not as text
   * cast in the statement: once pgjdbc prepares the statement on the server, its generic plan
   * would otherwise parse the query text again for every candidate row.
   */
  @Test
  void theRankingStatementTakesItsQueryAsATsqueryParameter() {
    var me = SERVER.newUser("typed");
    var repo = new SearchRepository();
    List<String> types = SERVER.server().database().transaction(Principal.system(id(me)), sql -> {
      for (int i = 0; i < 8; i++) { // past pgjdbc's prepareThreshold: a named statement on the server
        repo.rank(sql, Principal.system(id(me)), List.of(id(me)), Map.of("english", "'w17' | 'w42'"), Search.Filter.NONE,
            Map.of("w17", 4.2, "w42", 4.1), java.util.Set.of(), 60, SearchSettings.defaults(), null, 11);
      }
      return sql.fetch("SELECT parameter_types::text FROM pg_prepared_statements WHERE statement LIKE '%ts_rank(c.tsv%'")
          .getValues(0, String.class);
    });
    System.out.println("ranking statement parameter types: " + types);
    // the pooled connection may also hold the other shapes other searches prepared on it (a PREFIX
    // stage's adds its prefixes): every one of them takes the query typed
    assertThat(types).isNotEmpty().allSatisfy(t -> assertThat(t).contains("tsquery").contains("regconfig"));
  }
}
