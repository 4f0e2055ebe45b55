package dev.cairn.server.search;

import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static dev.cairn.server.db.jooq.Tables.SEARCH_TERMS;

import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.SqlArrays;
import dev.cairn.server.db.Untyped;
import dev.cairn.server.search.Highlighter.Token;
import dev.cairn.server.search.Search.Filter;
import dev.cairn.server.search.vector.ReadFilter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.QueryPart;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * Lexical search's SQL. Every statement runs as the caller (RLS applies) and joins each chunk
 * with its item under {@link VaultAccess#visible}, the vault's one read rule, and the item's
 * current state (searchable, not deleted, the indexed version is current), so a deletion,
 * revocation or expiry is in effect for the very next statement.
 *
 * <p>BM25 statistics are those of what the caller can read, and nothing else: its own chunks
 * from the per-owner tables (kept by triggers), plus the chunks others share with it, counted at
 * query time. An owner's unshared chunks never move a grantee's scores.
 */
final class SearchRepository {

  /** Collection statistics: chunk count, total length in lexemes, chunks per lexeme. */
  record Stats(long chunks, long lexemes, Map<String, Long> documentFrequency) {
    double averageLength() {
      return chunks == 0 ? 1 : Math.max(1.0, (double) lexemes / chunks);
    }

    double idf(String lexeme) {
      long df = Math.min(chunks, documentFrequency.getOrDefault(lexeme, 0L));
      return Math.log(1 + (chunks - df + 0.5) / (df + 0.5));
    }
  }

  /** A ranked item: its best chunk and score, and how many items the stage found in all. */
  record Ranked(UUID ownerId, UUID itemId, int version, int ordinal, double score, List<String> matched, int total) {}

  /**
   * A hit's chunk and item facts, read again under the read rule.
   *
   * @param keyColumn the owner's data key as {@link ContentStore#keyColumn} selects it (null: not visible)
   */
  record ChunkRow(UUID ownerId, UUID itemId, int version, int ordinal, int page, String language, byte[] ciphertext,
      String displayName, String mediaType, byte @Nullable [] keyColumn) {}

  /** The hit's owner's data key, read with the hits (one round trip fewer than reading it after them). */
  private static final Field<byte[]> HIT_KEY = ContentStore.keyColumn(DSL.field(DSL.name("c", "owner_id"), UUID.class));

  /**
   * Renders the statements whose text does not depend on their values, once per shape: jOOQ
   * renders a statement again on every call (its plain-SQL templates parsed each time), which was
   * about a tenth of a search's server CPU. Their hot calls bind the same values in the same order
   * through JDBC ({@link Database#query}); the tests compare both paths' results.
   */
  private static final DSLContext RENDER = DSL.using(org.jooq.SQLDialect.POSTGRES);
  /** A caller for rendering: the read rule renders the same for every caller (it is a parameter). */
  private static final Principal ANY_CALLER = Principal.system(new UUID(0, 0));

  /** Owners whose items the caller may read through a live grant (not itself). */
  List<UUID> grantingOwners(DSLContext sql, UUID me) {
    return sql.fetch(grantingOwnersQuery(me)).getValues(GRANTS.OWNER_ID);
  }

  /** The query of {@link #grantingOwners}, for a statement that reads them along with more. */
  private static org.jooq.Select<org.jooq.Record1<UUID>> grantingOwnersQuery(UUID me) {
    return DSL.selectDistinct(GRANTS.OWNER_ID).from(GRANTS)
        .where(GRANTS.GRANTEE_ID.eq(me)).and(GRANTS.OWNER_ID.ne(me)).and(VaultAccess.live());
  }

  /**
   * What every lexical or hybrid search needs first, from one statement: the owners who grant
   * the caller reads (as {@link #grantingOwners}; none when {@code withGrants} is false), the
   * caller's own totals, the query parsed in each of {@code languages} (null: the
   * configurations the caller's own chunks use, or {@link Languages#DEFAULT} when none), and the
   * caller's own chunk counts of every lexeme the text normalises to in those configurations.
   * One round trip instead of three: about a millisecond of every search.
   *
   * @param parsed the tsquery text per configuration, "" when it has no operand
   * @param covered the lexemes {@code ownDf} was read for: every word of the text as each
   *     configuration normalises it (a superset of the parsed queries' words; a term outside it,
   *     should there be one, is read with {@link #ownDf})
   * @param ownDf the caller's own chunks per lexeme, for the covered lexemes it has
   */
  record Start(List<UUID> others, Own own, Map<String, String> parsed, java.util.Set<String> covered,
      Map<String, Long> ownDf) {}

  Start start(DSLContext sql, UUID me, boolean withGrants, String text, @Nullable List<String> languages) {
    String statement = withGrants ? START_WITH_GRANTS : START_OWNED_ONLY;
    return Database.query(sql, statement, parameters(statement),
        p -> {
          p.set(1, me);
          p.set(2, text);
          p.set(3, text);
          p.set(4, languages == null ? new String[0] : languages.toArray(String[]::new)); // '{}': the stored ones
          p.set(5, Languages.DEFAULT);
          p.set(6, me);
          if (withGrants) {
            p.set(7, me);
            p.set(8, me);
          }
        },
        rows -> {
          rows.next();
          String[] langs = strings(rows, 5);
          String[] queries = strings(rows, 6);
          Map<String, String> parsed = new LinkedHashMap<>();
          for (int i = 0; i < langs.length; i++) {
            parsed.put(langs[i], queries[i]);
          }
          String[] lexemes = strings(rows, 8);
          Long[] chunks = (Long[]) rows.getArray(9).getArray();
          Map<String, Long> df = new HashMap<>();
          for (int i = 0; i < lexemes.length; i++) {
            df.put(lexemes[i], chunks[i]);
          }
          long ownChunks = rows.getLong(1);
          Own own = rows.wasNull() ? new Own(0, 0, List.of())
              : new Own(ownChunks, rows.getLong(2), rows.getArray(3) == null ? List.of() : Arrays.asList(strings(rows, 3)));
          return new Start(List.of((UUID[]) rows.getArray(4).getArray()), own, parsed,
              java.util.Set.of(strings(rows, 7)), df);
        });
  }

  private static String[] strings(java.sql.ResultSet rows, int column) throws java.sql.SQLException {
    return (String[]) rows.getArray(column).getArray();
  }

  /**
   * {@link #start}'s statement, constant so that it is rendered never and prepared once per
   * connection. Parameters: 1 the caller, 2 and 3 the text, 4 the configurations to parse in
   * ({@code '{}'}: those the caller's chunks use, else the default 5), 6 the caller, and with the
   * granting owners 7 and 8 the caller ({@link #GRANTING_OWNERS}).
   */
  private static String startStatement(String grantingOwners) {
    return """
        WITH st AS (SELECT s.chunks, s.lexemes, s.languages::text[] AS languages FROM cairn.search_stats s WHERE s.owner_id = ?::uuid),
        q AS (
            SELECT l.lang, websearch_to_tsquery(l.lang::regconfig, ?::text) AS q,
                   tsvector_to_array(to_tsvector(l.lang::regconfig, ?::text)) AS words
              FROM unnest(coalesce(nullif(?::text[], '{}'), nullif((SELECT st.languages FROM st), '{}'::text[]), ARRAY[?::text])) AS l (lang)),
        w AS (SELECT DISTINCT u.lexeme FROM q CROSS JOIN LATERAL unnest(q.words) AS u (lexeme)),
        t AS (SELECT t.lexeme, t.chunks FROM cairn.search_terms t
               WHERE t.owner_id = ?::uuid AND t.lexeme = ANY (ARRAY(SELECT w.lexeme FROM w)))
        SELECT (SELECT st.chunks FROM st), (SELECT st.lexemes FROM st), (SELECT st.languages FROM st),
               ARRAY(SELECT g.owner_id FROM (%s) g),
               ARRAY(SELECT q.lang FROM q ORDER BY q.lang),
               ARRAY(SELECT CASE WHEN numnode(q.q) = 0 THEN '' ELSE q.q::text END FROM q ORDER BY q.lang),
               ARRAY(SELECT w.lexeme FROM w),
               ARRAY(SELECT t.lexeme FROM t ORDER BY t.lexeme),
               ARRAY(SELECT t.chunks FROM t ORDER BY t.lexeme)""".formatted(grantingOwners);
  }

  /** {@link #grantingOwnersQuery} as SQL, rendered once (its two parameters are the caller): the rule stays in one place. */
  private static final String GRANTING_OWNERS = renderedWithParameters(grantingOwnersQuery(new UUID(0, 0)), 2);
  private static final String START_WITH_GRANTS = startStatement(GRANTING_OWNERS);
  /** owned_only reads no grants: the empty set, without the query. */
  private static final String START_OWNED_ONLY = startStatement("SELECT NULL::uuid AS owner_id WHERE false");

  private static String renderedWithParameters(org.jooq.Query query, int parameters) {
    String rendered = DSL.using(org.jooq.SQLDialect.POSTGRES).render(query);
    if (parameters(rendered) != parameters) {
      throw new IllegalStateException("expected " + parameters + " parameters in " + rendered);
    }
    return rendered;
  }

  /** The parameters of a statement of ours: its {@code ?} (none is inside a literal or an operator). */
  private static int parameters(String statement) {
    return (int) statement.chars().filter(c -> c == '?').count();
  }

  /** The caller's own totals: chunks, lexeme occurrences and the text search configurations in use. */
  record Own(long chunks, long lexemes, List<String> languages) {}

  /** The caller's own chunks per lexeme, for those of {@code lexemes} it has. */
  Map<String, Long> ownDf(DSLContext sql, UUID me, List<String> lexemes) {
    Map<String, Long> df = new HashMap<>();
    sql.select(SEARCH_TERMS.LEXEME, SEARCH_TERMS.CHUNKS).from(SEARCH_TERMS)
        .where(SEARCH_TERMS.OWNER_ID.eq(me)).and(SEARCH_TERMS.LEXEME.in(lexemes))
        .forEach(r -> df.put(r.value1(), r.value2()));
    return df;
  }

  /** What others share with the caller, counted now: chunks, total length in lexemes, and the configurations they use. */
  record Shared(long chunks, long lexemes, List<String> languages) {}

  /** {@link Shared} of {@code owners}' chunks the caller can read now; no statement when there are none. */
  Shared shared(DSLContext sql, Principal caller, List<UUID> owners) {
    if (owners.isEmpty()) {
      return new Shared(0, 0, List.of());
    }
    Record totals = sql.resultQuery("""
        WITH readable AS MATERIALIZED ({0})
        SELECT count(*), coalesce(sum(lexeme_count), 0), array_agg(DISTINCT language::text)
          FROM readable""", readableShared(caller, owners)).fetchSingle();
    String[] languages = totals.get(2, String[].class);
    return new Shared(totals.get(0, Long.class), totals.get(1, Long.class),
        languages == null ? List.of() : Arrays.stream(languages).filter(l -> l != null).toList());
  }

  /**
   * The caller's statistics for {@code lexemes}: its own {@code own} totals and chunks per lexeme,
   * plus {@code shared} and the chunks per lexeme of what others share with it (counted now).
   */
  Stats stats(DSLContext sql, Principal caller, Own own, Map<String, Long> ownDf, List<UUID> owners, Shared shared,
      List<String> lexemes) {
    Map<String, Long> df = new TreeMap<>(ownDf);
    if (!owners.isEmpty() && !lexemes.isEmpty()) {
      sql.resultQuery("""
          WITH readable AS MATERIALIZED ({0})
          SELECT u.lexeme, count(*) FROM readable r CROSS JOIN LATERAL unnest(r.tsv) u
           WHERE u.lexeme = ANY ({1}::text[]) GROUP BY u.lexeme""",
              readableShared(caller, owners), SqlArrays.texts(lexemes))
          .forEach(r -> df.merge(r.get(0, String.class), r.get(1, Long.class), Long::sum));
    }
    return new Stats(own.chunks() + shared.chunks(), own.lexemes() + shared.lexemes(), df);
  }

  private static QueryPart readableShared(Principal caller, List<UUID> owners) {
    return DSL.sql("""
        SELECT c.tsv, c.lexeme_count, c.language
          FROM cairn.search_chunks c JOIN {0} ON {1} = c.item_id AND {2} = c.owner_id
         WHERE c.owner_id = ANY ({3}::uuid[]) AND {2} = ANY ({3}::uuid[]) AND {4}""",
        ITEMS, ITEMS.ID, ITEMS.OWNER_ID, SqlArrays.uuids(owners), current(caller));
  }

  /** The item is readable by the caller, live and searchable, and the chunk is of its current version. */
  private static Condition current(Principal caller) {
    return current(caller, "c");
  }

  /** As {@link #current(Principal)} for the row of alias {@code row} (a chunk or a vocabulary word). */
  private static Condition current(Principal caller, String row) {
    return VaultAccess.visible(caller, VaultAccess.Role.READ)
        .and(ITEMS.DELETED_AT.isNull())
        .and(ITEMS.SEARCHABLE.isTrue())
        .and(DSL.field(DSL.name(row, "version"), Integer.class).eq(ITEMS.CURRENT_VERSION));
  }

  /** Parses {@code text} as a web-search query in {@code language}: the tsquery's text, "" when it has no operand. */
  String parse(DSLContext sql, String language, String text) {
    var q = DSL.field("websearch_to_tsquery({0}::regconfig, {1})", Object.class, DSL.val(language), DSL.val(text));
    Record row = sql.select(DSL.field("{0}::text", String.class, q), DSL.field("numnode({0})", Integer.class, q)).fetchSingle();
    return row.get(1, Integer.class) == 0 ? "" : row.get(0, String.class);
  }

  /**
   * Ranks the items whose chunks match: candidates from the owner-leading GIN index (at most
   * {@code maxCandidates} chunks), BM25 over each candidate's lexemes, each item's best chunk,
   * best first, the page after {@code after}.
   *
   * @param queries tsquery text per text search configuration; a null key matches every chunk's
   */
  List<Ranked> rank(
      DSLContext sql, Principal caller, List<UUID> owners, Map<@Nullable String, String> queries, Filter filter,
      Map<String, Double> idf, java.util.Set<String> prefixes, double averageLength, SearchSettings settings,
      @Nullable Cursor after, int limit) {
    return fetch(rankQuery(sql, caller, owners, queries, filter, idf, prefixes, averageLength, settings, after, limit),
        SearchRepository::ranked);
  }

  /** The rows of either ranking statement: owner, item, version, ordinal, score, matched lexemes, total. */
  static List<Ranked> ranked(java.sql.ResultSet rows) throws java.sql.SQLException {
    List<Ranked> out = new ArrayList<>();
    while (rows.next()) {
      out.add(new Ranked(rows.getObject(1, UUID.class), rows.getObject(2, UUID.class), rows.getInt(3), rows.getInt(4),
          rows.getDouble(5), List.of(strings(rows, 6)), Math.toIntExact(rows.getLong(7))));
    }
    return out;
  }

  /** Runs a statement built by jOOQ (rendered for this call) and reads its rows as the constant statements' are read. */
  static <T> T fetch(org.jooq.ResultQuery<?> query, Database.ResultReader<T> reader) {
    try (java.sql.ResultSet rows = query.fetchResultSet()) {
      return reader.read(rows);
    } catch (java.sql.SQLException e) {
      throw new dev.cairn.server.db.DataAccessFailure(e);
    }
  }

  /** The ranking statement itself (for {@link #rank}, and for tests that EXPLAIN it). */
  org.jooq.ResultQuery<Record> rankQuery(
      DSLContext sql, Principal caller, List<UUID> owners, Map<@Nullable String, String> queries, Filter filter,
      Map<String, Double> idf, java.util.Set<String> prefixes, double averageLength, SearchSettings settings,
      @Nullable Cursor after, int limit) {
    List<String> lexemes = new ArrayList<>(idf.keySet());
    List<Double> weights = lexemes.stream().map(idf::get).toList();
    List<Boolean> prefix = lexemes.stream().map(prefixes::contains).toList();
    return sql.resultQuery("""
        WITH terms (lexeme, idf, prefix) AS (SELECT * FROM unnest({0}::text[], {1}::float8[], {14}::boolean[])),
        matched AS MATERIALIZED (
            SELECT c.owner_id, c.item_id, c.version, c.ordinal, c.tsv, c.lexeme_count
              FROM cairn.search_chunks c JOIN {2} ON {3} = c.item_id AND {4} = c.owner_id
             WHERE ({5}) AND ({6}) AND {7} AND {8}
             ORDER BY {15} DESC
             LIMIT {9}),
        scored AS (
            SELECT m.owner_id, m.item_id, m.version, m.ordinal,
                   sum(t.idf * cardinality(u.positions) * ({10} + 1)
                       / (cardinality(u.positions) + {10} * (1 - {11} + {11} * m.lexeme_count / {12}))) AS score,
                   array_agg(u.lexeme ORDER BY u.lexeme) AS matched
              FROM matched m
              CROSS JOIN LATERAL {16}
             GROUP BY m.owner_id, m.item_id, m.version, m.ordinal, m.lexeme_count),
        {13}""",
            SqlArrays.texts(lexemes), SqlArrays.doubles(weights),
            ITEMS, ITEMS.ID, ITEMS.OWNER_ID, ownedBy(owners),
            matches(queries), current(caller), filters(filter, caller),
            DSL.inline(settings.maxCandidates()),
            DSL.val(settings.k1()), DSL.val(settings.b()), DSL.val(averageLength),
            bestPerItem("scored", after, limit), SqlArrays.booleans(prefix), coverage(queries), termsOf(lexemes, prefixes));
  }

  /**
   * Ranks the items whose chunks hold any of a plain-word query's terms, from the postings of
   * those terms alone (V31): BM25 of every matching chunk, each item's best chunk, best first,
   * the page after {@code after}. The same scores as {@link #rankQuery} without its candidate cap
   * (every matching chunk is scored), for queries that are an OR of lexemes: not for phrases,
   * exclusions or prefixes, which need the vectors.
   *
   * @param terms the query's lexemes, each with the text search configuration it was parsed with
   *     (null: it matches chunks of any configuration)
   */
  List<Ranked> rankTerms(
      DSLContext sql, Principal caller, List<UUID> owners, List<Term> terms, Filter filter,
      double averageLength, SearchSettings settings, @Nullable Cursor after, int limit) {
    Map<@Nullable String, List<String>> byLanguage = byLanguage(terms);
    if (!constant(caller, filter) || byLanguage.size() != 1) {
      return fetch(rankTermsQuery(sql, caller, owners, terms, filter, averageLength, settings, after, limit),
          SearchRepository::ranked);
    }
    Map<String, Double> idf = idf(terms);
    String language = byLanguage.keySet().iterator().next();
    String statement = RANK_TERMS[(language == null ? 0 : 1) + (after == null ? 0 : 2)];
    return Database.query(sql, statement, parameters(statement), p -> {
      // in the order rankTermsQuery renders them
      int i = 0;
      p.set(++i, idf.values().stream().mapToDouble(Double::doubleValue).toArray());
      p.set(++i, idf.keySet().toArray(String[]::new));
      p.set(++i, settings.k1());
      p.set(++i, settings.k1());
      p.set(++i, settings.b());
      p.set(++i, settings.b());
      p.set(++i, averageLength);
      p.setUuids(++i, owners);
      if (language != null) {
        p.setUntyped(++i, language);
      }
      p.set(++i, byLanguage.get(language).toArray(String[]::new));
      p.setUuids(++i, owners);
      p.set(++i, caller.requireUserId());
      if (after != null) {
        p.set(++i, after.score());
        p.set(++i, after.score());
        p.set(++i, after.itemId());
      }
      p.set(++i, limit);
    }, SearchRepository::ranked);
  }

  /**
   * {@link #rankTermsQuery}'s unfiltered shapes with one configuration, rendered once: by
   * {@code (language == null ? 0 : 1) + (after == null ? 0 : 2)}.
   */
  private static final String[] RANK_TERMS = java.util.stream.IntStream.range(0, 4).mapToObj(shape -> {
    String language = (shape & 1) == 0 ? null : "english";
    Cursor after = (shape & 2) == 0 ? null : new Cursor(1, new UUID(0, 0));
    return RENDER.render(new SearchRepository().rankTermsQuery(RENDER, ANY_CALLER, List.of(ANY_CALLER.requireUserId()),
        List.of(new Term("shape", language, 1)), Filter.NONE, 1, SearchSettings.defaults(), after, 1));
  }).toArray(String[]::new);

  /** Each lexeme's idf by its place in the lexemes (a lexeme's idf does not depend on its configuration). */
  private static Map<String, Double> idf(List<Term> terms) {
    Map<String, Double> idf = new LinkedHashMap<>();
    terms.forEach(t -> idf.putIfAbsent(t.lexeme(), t.idf()));
    return idf;
  }

  private static Map<@Nullable String, List<String>> byLanguage(List<Term> terms) {
    Map<@Nullable String, List<String>> byLanguage = new LinkedHashMap<>();
    terms.forEach(t -> byLanguage.computeIfAbsent(t.language(), l -> new ArrayList<>()).add(t.lexeme()));
    return byLanguage;
  }

  /**
   * Whether a statement can be the constant text rendered once for its shape: a user's, without
   * filters (a filter's conditions vary in number and kind, so those are rendered per call). Also
   * whether {@link #recheckAlone} may stand for {@link #recheck}.
   */
  static boolean constant(Principal caller, Filter filter) {
    return caller.isUser() && Filter.NONE.equals(filter);
  }


  /** A query term for {@link #rankTerms}: a lexeme, its configuration (null: any) and its idf. */
  record Term(String lexeme, @Nullable String language, double idf) {}

  /** The postings ranking statement itself (for {@link #rankTerms}, and for tests that EXPLAIN it). */
  org.jooq.ResultQuery<Record> rankTermsQuery(
      DSLContext sql, Principal caller, List<UUID> owners, List<Term> terms, Filter filter,
      double averageLength, SearchSettings settings, @Nullable Cursor after, int limit) {
    Map<String, Double> idf = idf(terms);
    Map<@Nullable String, List<String>> byLanguage = byLanguage(terms);
    // The owners are repeated on the items (PostgreSQL does not carry "= ANY" across the join's
    // equality): the searched owners' items then come from the owner-leading index. Without it,
    // the items were a scan of every user's items (1,000 rows: 0.45 ms) or, once other users hold
    // 100,000 items, one primary-key probe per matching chunk (645 probes: the statement 2.25 ms
    // against 1.23 ms with the owners repeated; EXPLAIN ANALYZE, fastest of 30).
    return sql.resultQuery("""
        WITH scored AS (
            SELECT p.owner_id, p.item_id, p.version, p.ordinal,
                   sum(({0}::float8[])[array_position({1}::text[], p.lexeme)] * p.occurrences * ({2} + 1)
                       / (p.occurrences + {2} * (1 - {3} + {3} * p.chunk_length / {4}))) AS score,
                   array_agg(p.lexeme ORDER BY p.lexeme) AS matched
              FROM cairn.search_postings p
             WHERE p.owner_id = ANY ({5}::uuid[]) AND ({6})
             GROUP BY p.owner_id, p.item_id, p.version, p.ordinal),
        readable AS (
            SELECT c.* FROM scored c JOIN {7} ON {8} = c.item_id AND {9} = c.owner_id
             WHERE {9} = ANY ({5}::uuid[]) AND {10} AND {11}),
        {12}""",
            SqlArrays.doubles(idf.values()), SqlArrays.texts(idf.keySet()),
            DSL.val(settings.k1()), DSL.val(settings.b()), DSL.val(averageLength),
            SqlArrays.uuids(owners), postingsOf(byLanguage),
            ITEMS, ITEMS.ID, ITEMS.OWNER_ID, current(caller), filters(filter, caller),
            bestPerItem("readable", after, limit));
  }

  /**
   * The end of both ranking statements, after the CTE {@code scored} (owner, item, version,
   * ordinal, score, matched): each item's best chunk, how many items in all, the page after
   * {@code after}, best first.
   */
  private static QueryPart bestPerItem(String scored, @Nullable Cursor after, int limit) {
    Condition afterCondition = after == null ? DSL.trueCondition()
        : DSL.condition("x.score < {0} OR (x.score = {0} AND x.item_id > {1})", DSL.val(after.score()), DSL.val(after.itemId()));
    return DSL.sql("""
        best AS (
            SELECT DISTINCT ON (s.item_id) s.* FROM {0} s ORDER BY s.item_id, s.score DESC, s.ordinal),
        counted AS (SELECT b.*, count(*) OVER () AS total FROM best b)
        SELECT x.owner_id, x.item_id, x.version, x.ordinal, x.score, x.matched::text[], x.total
          FROM counted x
         WHERE {1}
         ORDER BY x.score DESC, x.item_id
         LIMIT {2}""", DSL.name(scored), afterCondition, DSL.val(limit));
  }

  /**
   * The postings of each configuration's lexemes: {@code lexeme = ANY (array)}, an index condition
   * whose row estimate PostgreSQL takes from the lexemes' statistics (joined with a list of terms
   * instead, it guessed a few rows for hundreds, and picked a nested loop over the items: 14-15
   * against 10-11 ms for a nine-word claim with 1,886 postings).
   */
  private static Condition postingsOf(Map<@Nullable String, List<String>> byLanguage) {
    List<Condition> each = new ArrayList<>();
    byLanguage.forEach((language, lexemes) -> {
      Condition words = DSL.condition("p.lexeme = ANY ({0}::text[])", SqlArrays.texts(lexemes));
      each.add(language == null ? words : DSL.condition("p.language = {0}::regconfig", Untyped.value(language)).and(words));
    });
    return each.isEmpty() ? DSL.falseCondition() : DSL.or(each);
  }

  /**
   * Each candidate's occurrences of the query's terms. Without prefixes, only the chunk's lexemes
   * that are terms are unnested: setweight marks them and ts_filter keeps them, in C, so a chunk
   * of a hundred lexemes yields one row per matched term, joined by equality. Unnesting every
   * lexeme and joining with the prefix test was most of a lexical search's time (800 ms against
   * 150 ms for 1,000 SciFact candidates); the scores are the same. The weights are not cleared
   * first: stored vectors come from to_tsvector and carry none, and a lexeme that did carry
   * weight A is still dropped by the join unless it is a term (clearing them made a second copy
   * of every candidate's vector: about a quarter of the statement inside PostgreSQL, measured).
   * A prefix can only be tested on each lexeme, so the PREFIX stage unnests them all.
   */
  private static QueryPart termsOf(List<String> lexemes, java.util.Set<String> prefixes) {
    if (lexemes.stream().anyMatch(prefixes::contains)) {
      return DSL.sql("unnest(m.tsv) u JOIN terms t ON t.lexeme = u.lexeme OR (t.prefix AND starts_with(u.lexeme, t.lexeme))");
    }
    return DSL.sql("unnest(ts_filter(setweight(m.tsv, 'A', {0}::text[]), ARRAY['a']::\"char\"[])) u"
        + " JOIN terms t ON t.lexeme = u.lexeme", SqlArrays.texts(lexemes));
  }

  /**
   * The chunk (and its item) belongs to one of {@code owners}: equalities, not {@code = ANY}, so
   * that each is an index condition of the owner-leading GIN index (GIN takes no arrays of keys)
   * and the items side is narrowed by owner before the read rule runs on any row.
   */
  private static Condition ownedBy(List<UUID> owners) {
    return ownedBy(owners, "c");
  }

  private static Condition ownedBy(List<UUID> owners, String row) {
    List<Condition> each = new ArrayList<>();
    for (UUID owner : owners) {
      each.add(DSL.field(DSL.name(row, "owner_id"), UUID.class).eq(owner).and(ITEMS.OWNER_ID.eq(owner)));
    }
    return DSL.or(each);
  }

  // ---------------------------------------------------------------- vocabulary (TYPO)

  /** A word of the vocabulary the caller can read, with its occurrences in the items it can read. */
  record Word(String word, long occurrences) {}

  /**
   * The words that may be {@code word} misspelt: those of the items the caller can read now (own,
   * or through a live grant; live, searchable, current version; matching the filter) that share
   * enough of its trigrams (pg_trgm) and are within {@code slack} letters of its length. Neither
   * the words nor their counts tell anything of items the caller cannot read.
   *
   * <p>The caller's own words come from its vocabulary (V26: one row per distinct word, the
   * trigram index searched by {@code cairn.own_vocabulary_candidates}), each then kept only if
   * an item it is in passes the read rule and the filter, so this returns what grouping the
   * per-item rows returned, without grouping them (counts are over all the owner's indexed items:
   * they only order corrections of equal distance). Words of items shared with the caller come
   * from the per-item rows ({@link #sharedVocabulary}).
   */
  List<Word> vocabulary(DSLContext sql, Principal caller, List<UUID> owners, Filter filter, String word, int slack,
      double threshold, int limit) {
    // the % operator reads its threshold from the session; for this transaction only
    sql.select(DSL.field("set_config('pg_trgm.similarity_threshold', {0}, true)", String.class,
        DSL.val(Double.toString(threshold)))).fetch();
    UUID me = caller.requireUserId();
    List<UUID> others = owners.stream().filter(o -> !o.equals(me)).toList();
    Map<String, Long> found = new java.util.LinkedHashMap<>();
    if (others.size() < owners.size()) {
      ownVocabulary(sql, caller, me, filter, word, slack, limit).forEach(w -> found.merge(w.word(), w.occurrences(), Long::sum));
    }
    if (!others.isEmpty()) {
      sharedVocabulary(sql, caller, others, filter, word, slack, limit).forEach(w -> found.merge(w.word(), w.occurrences(), Long::sum));
    }
    return found.entrySet().stream().map(e -> new Word(e.getKey(), e.getValue())).toList();
  }

  private List<Word> ownVocabulary(DSLContext sql, Principal caller, UUID me, Filter filter, String word, int slack, int limit) {
    int length = word.codePointCount(0, word.length());
    return sql.resultQuery("""
        SELECT v.word, v.occurrences
          FROM cairn.own_vocabulary_candidates({0}, {1}, {2}, {3}) v
         WHERE EXISTS (
               SELECT 1 FROM cairn.search_words w JOIN {4} ON {5} = w.item_id AND {6} = w.owner_id
                WHERE w.owner_id = {7} AND {6} = {7} AND w.word COLLATE "C" = v.word AND {8} AND {9})""",
            DSL.val(word), DSL.val(length - slack), DSL.val(length + slack), DSL.val(limit),
            ITEMS, ITEMS.ID, ITEMS.OWNER_ID, DSL.val(me), current(caller, "w"), filters(filter, caller))
        .fetch(r -> new Word(r.get(0, String.class), r.get(1, Long.class)));
  }

  /**
   * The candidates among the words of items other owners share with the caller, grouped over the
   * readable per-item rows. Only words with the same first letter are candidates: row-level
   * security keeps the non-leakproof {@code %} out of index conditions (without this, every
   * vocabulary row of the owner was read: about 1 s on 2 900 chunks), while a range on the first
   * letter in C order is leakproof and served by the owner-leading btree. The typo rules make a
   * first-letter typo cost two, so this only gives up a first-letter typo in a word of 9 or more
   * letters.
   */
  private List<Word> sharedVocabulary(DSLContext sql, Principal caller, List<UUID> owners, Filter filter, String word,
      int slack, int limit) {
    int length = word.codePointCount(0, word.length());
    int initial = word.codePointAt(0);
    return sql.resultQuery("""
        SELECT w.word, sum(w.occurrences)::bigint
          FROM cairn.search_words w JOIN {0} ON {1} = w.item_id AND {2} = w.owner_id
         WHERE ({3}) AND {4} AND {5}
           AND w.word COLLATE "C" >= {10} AND w.word COLLATE "C" < {11}
           AND w.word OPERATOR(public.%) {6}
           AND char_length(w.word) BETWEEN {7} AND {8}
         GROUP BY w.word
         ORDER BY public.similarity(w.word, {6}) DESC, w.word
         LIMIT {9}""",
            ITEMS, ITEMS.ID, ITEMS.OWNER_ID, ownedBy(owners, "w"), current(caller, "w"), filters(filter, caller),
            DSL.val(word), DSL.val(length - slack), DSL.val(length + slack), DSL.inline(limit),
            DSL.val(Character.toString(initial)), DSL.val(Character.toString(initial + 1)))
        .fetch(r -> new Word(r.get(0, String.class), r.get(1, Long.class)));
  }

  /** The lexemes each word becomes in each text search configuration: word → configuration → lexemes. */
  Map<String, Map<String, List<String>>> lexemes(DSLContext sql, java.util.Collection<String> words, java.util.Collection<String> configs) {
    Map<String, Map<String, List<String>>> out = new HashMap<>();
    if (words.isEmpty() || configs.isEmpty()) {
      return out;
    }
    sql.resultQuery("""
        SELECT w.word, c.config, ARRAY(SELECT u.lexeme FROM unnest(to_tsvector(c.config::regconfig, w.word)) u ORDER BY u.lexeme)
          FROM unnest({0}::text[]) AS w (word) CROSS JOIN unnest({1}::text[]) AS c (config)""",
            SqlArrays.texts(words), SqlArrays.texts(configs))
        .forEach(r -> out.computeIfAbsent(r.get(0, String.class), k -> new HashMap<>())
            .put(r.get(1, String.class), List.of(r.get(2, String[].class))));
    return out;
  }

  /** Where the next page starts: after this score and item. */
  record Cursor(double score, UUID itemId) {}

  /**
   * Which matching chunks are ranked when more than {@code maxCandidates} match: those
   * {@code ts_rank} (matches, no idf: cheap, no unnesting) puts first, not the first the index
   * returns — so a broad query's best chunks are not cut before BM25 sees them.
   */
  private static Field<Double> coverage(Map<@Nullable String, String> queries) {
    if (queries.size() == 1) {
      return DSL.field("ts_rank(c.tsv, {0}::tsquery)", Double.class, Untyped.value(queries.values().iterator().next()));
    }
    var cases = DSL.choose();
    org.jooq.CaseConditionStep<Double> step = null;
    for (var e : queries.entrySet()) {
      Condition when = e.getKey() == null ? DSL.trueCondition() : DSL.condition("c.language = {0}::regconfig", Untyped.value(e.getKey()));
      Field<Double> rank = DSL.field("ts_rank(c.tsv, {0}::tsquery)", Double.class, Untyped.value(e.getValue()));
      step = step == null ? cases.when(when, rank) : step.when(when, rank);
    }
    return step == null ? DSL.inline(0.0) : step.otherwise(DSL.inline(0.0));
  }

  /** Each configuration's query against the chunks built with it (one GIN-indexable branch each). */
  private static Condition matches(Map<@Nullable String, String> queries) {
    List<Condition> branches = new ArrayList<>();
    queries.forEach((language, tsquery) -> branches.add(language == null
        ? DSL.condition("c.tsv @@ {0}::tsquery", Untyped.value(tsquery))
        : DSL.condition("c.language = {0}::regconfig AND c.tsv @@ {1}::tsquery", Untyped.value(language), Untyped.value(tsquery))));
    return branches.isEmpty() ? DSL.falseCondition() : DSL.or(branches);
  }

  private static Condition filters(Filter filter, Principal caller) {
    Condition c = DSL.trueCondition();
    if (!filter.items().isEmpty()) {
      c = c.and(ITEMS.ID.in(filter.items()));
    }
    if (!filter.collections().isEmpty()) {
      c = c.and(ITEMS.COLLECTION_ID.in(filter.collections()));
    }
    if (!filter.labels().isEmpty()) {
      c = c.and(DSL.condition("{0} @> {1}", ITEMS.LABELS, DSL.val(Jsonb.of(new TreeMap<>(filter.labels())))));
    }
    if (!filter.mediaTypes().isEmpty()) {
      var bare = DSL.lower(DSL.trim(DSL.splitPart(ITEMS.MEDIA_TYPE, DSL.inline(";"), DSL.inline(1))));
      List<Condition> any = new ArrayList<>();
      for (String type : filter.mediaTypes()) {
        String wanted = type.toLowerCase(java.util.Locale.ROOT);
        any.add(wanted.endsWith("/*") ? bare.startsWith(wanted.substring(0, wanted.length() - 1)) : bare.eq(wanted));
      }
      c = c.and(DSL.or(any));
    }
    if (filter.start() != null) {
      c = c.and(ITEMS.UPDATED_AT.ge(filter.start()));
    }
    if (filter.end() != null) {
      c = c.and(ITEMS.UPDATED_AT.lt(filter.end()));
    }
    if (filter.ownedOnly()) {
      c = c.and(ITEMS.OWNER_ID.eq(caller.requireUserId()));
    }
    return c;
  }

  /** The hits' chunks, read again under the read rule (a hit whose item went away meanwhile is absent). */
  Map<String, ChunkRow> chunks(DSLContext sql, Principal caller, List<Ranked> ranked) {
    if (ranked.isEmpty()) {
      return Map.of();
    }
    List<UUID> items = ranked.stream().map(Ranked::itemId).toList();
    int[] versions = ranked.stream().mapToInt(Ranked::version).toArray();
    int[] ordinals = ranked.stream().mapToInt(Ranked::ordinal).toArray();
    if (!caller.isUser()) { // the read rule is false: rendered for this call
      return fetch(chunksQuery(sql, caller, items, versions, ordinals), SearchRepository::chunkRows);
    }
    return Database.query(sql, CHUNKS, parameters(CHUNKS), p -> {
      p.setUuids(1, items);
      p.set(2, versions);
      p.set(3, ordinals);
      p.set(4, caller.requireUserId());
    }, SearchRepository::chunkRows);
  }

  static Map<String, ChunkRow> chunkRows(java.sql.ResultSet rows) throws java.sql.SQLException {
    Map<String, ChunkRow> out = new LinkedHashMap<>();
    while (rows.next()) {
      var row = new ChunkRow(rows.getObject(1, UUID.class), rows.getObject(2, UUID.class), rows.getInt(3), rows.getInt(4),
          rows.getInt(5), rows.getString(6), rows.getBytes(7), rows.getString(8), rows.getString(9), rows.getBytes(10));
      out.put(key(row.itemId(), row.version(), row.ordinal()), row);
    }
    return out;
  }

  /** {@link #chunks}'s statement as jOOQ builds it (rendered per call; for tests, and for a caller that is no user). */
  static org.jooq.ResultQuery<Record> chunksQuery(DSLContext sql, Principal caller, List<UUID> items, int[] versions,
      int[] ordinals) {
    return sql.resultQuery("""
        SELECT c.owner_id, c.item_id, c.version, c.ordinal, c.page, c.language::text, c.ciphertext, {0}, {1}, {9}
          FROM unnest({2}::uuid[], {3}::int[], {4}::int[]) AS h (item_id, version, ordinal)
          JOIN cairn.search_chunks c ON c.item_id = h.item_id AND c.version = h.version AND c.ordinal = h.ordinal
          JOIN {5} ON {6} = c.item_id AND {7} = c.owner_id
         WHERE {8}""",
        ITEMS.DISPLAY_NAME, ITEMS.MEDIA_TYPE, SqlArrays.uuids(items),
        SqlArrays.integers(Arrays.stream(versions).boxed().toList()), SqlArrays.integers(Arrays.stream(ordinals).boxed().toList()),
        ITEMS, ITEMS.ID, ITEMS.OWNER_ID, current(caller), HIT_KEY);
  }

  /** {@link #chunksQuery} rendered once: 1 the items, 2 their versions, 3 their ordinals, 4 the caller. */
  private static final String CHUNKS = RENDER.render(chunksQuery(RENDER, ANY_CALLER, List.of(), new int[0], new int[0]));

  /**
   * What the vector index may return to the caller: its own chunks and the items of {@code
   * others} it can read now (searchable, not deleted); with a filter set, exactly the readable
   * items that match it. The rights are computed here, by the vault's read rule, so that the
   * graph search is filtered by them (no readable hit crowded out by unreadable ones).
   */
  ReadFilter readFilter(DSLContext sql, Principal caller, List<UUID> others, Filter filter) {
    UUID me = caller.requireUserId();
    Condition live = VaultAccess.visible(caller, VaultAccess.Role.READ).and(ITEMS.DELETED_AT.isNull()).and(ITEMS.SEARCHABLE.isTrue());
    boolean filtered = !filter.items().isEmpty() || !filter.collections().isEmpty() || !filter.labels().isEmpty()
        || !filter.mediaTypes().isEmpty() || filter.start() != null || filter.end() != null;
    List<UUID> owners = new ArrayList<>(filter.ownedOnly() ? List.of() : others);
    if (filtered) {
      owners.addFirst(me);
      List<UUID> items = sql.select(ITEMS.ID).from(ITEMS)
          .where(ITEMS.OWNER_ID.in(owners)).and(live).and(filters(filter, caller)).fetch(ITEMS.ID);
      return ReadFilter.of(List.of(), items);
    }
    List<UUID> shared = owners.isEmpty() ? List.of()
        : sql.select(ITEMS.ID).from(ITEMS).where(ITEMS.OWNER_ID.in(owners)).and(live).fetch(ITEMS.ID);
    return ReadFilter.of(List.of(me), shared);
  }

  /** A chunk found by the vector index that the caller may still see: live, current, readable, matching. */
  record LiveChunk(UUID chunkId, UUID ownerId, UUID itemId, int version, int ordinal) {}

  /** The chunks among {@code chunkIds} that pass the read rule, the item's current state and the filter now. */
  Map<UUID, LiveChunk> recheck(DSLContext sql, Principal caller, List<UUID> chunkIds, Filter filter) {
    if (chunkIds.isEmpty()) {
      return Map.of();
    }
    if (!constant(caller, filter)) {
      return fetch(recheckQuery(sql, caller, chunkIds, filter), SearchRepository::liveChunks);
    }
    return Database.query(sql, RECHECK, parameters(RECHECK), p -> bindRecheck(p, caller, chunkIds), SearchRepository::liveChunks);
  }

  /**
   * {@link #recheck} without a filter as a statement of its own, on a connection of its own (one
   * round trip: the caller's transaction locals and the statement), so that it can run while the
   * search's connection runs another statement.
   */
  static Map<UUID, LiveChunk> recheckAlone(Database database, Principal caller, List<UUID> chunkIds) {
    if (chunkIds.isEmpty()) {
      return Map.of();
    }
    return database.statement(caller, RECHECK, p -> bindRecheck(p, caller, chunkIds), SearchRepository::liveChunks);
  }

  private static void bindRecheck(Database.Parameters p, Principal caller, List<UUID> chunkIds) throws java.sql.SQLException {
    p.setUuids(1, chunkIds);
    p.set(2, caller.requireUserId());
  }

  static Map<UUID, LiveChunk> liveChunks(java.sql.ResultSet rows) throws java.sql.SQLException {
    Map<UUID, LiveChunk> out = new HashMap<>();
    while (rows.next()) {
      UUID chunk = rows.getObject(1, UUID.class);
      out.put(chunk, new LiveChunk(chunk, rows.getObject(2, UUID.class), rows.getObject(3, UUID.class), rows.getInt(4),
          rows.getInt(5)));
    }
    return out;
  }

  /** {@link #recheck}'s statement as jOOQ builds it (rendered per call: with a filter, and for tests). */
  static org.jooq.ResultQuery<Record> recheckQuery(DSLContext sql, Principal caller, List<UUID> chunkIds, Filter filter) {
    return sql.resultQuery("""
        SELECT c.chunk_id, c.owner_id, c.item_id, c.version, c.ordinal
          FROM cairn.search_chunks c JOIN {0} ON {1} = c.item_id AND {2} = c.owner_id
         WHERE c.chunk_id = ANY ({3}::uuid[]) AND {4} AND {5}""",
        ITEMS, ITEMS.ID, ITEMS.OWNER_ID, SqlArrays.uuids(chunkIds), current(caller), filters(filter, caller));
  }

  /** {@link #recheckQuery} without a filter, rendered once: 1 the chunks, 2 the caller. */
  private static final String RECHECK = RENDER.render(recheckQuery(RENDER, ANY_CALLER, List.of(), Filter.NONE));

  static String key(UUID item, int version, int ordinal) {
    return item + "/" + version + "/" + ordinal;
  }

  /**
   * The parser's tokens of each text in its configuration, with the lexemes each normalises to.
   * The texts are the hits' decrypted chunks: they reach PostgreSQL for the statement only, as
   * they did when their vectors were built, and are not stored.
   *
   * <p>{@code ts_parse} with {@code to_tsvector} of each word, not {@code ts_debug}: ts_debug is a
   * SQL function joining the catalogs for every token (about 25 ms for 400 tokens against 1 ms). A
   * compound's {@code to_tsvector} holds its parts' lexemes too ("T-cell": t-cell, cell), so a
   * query word matching a part marks the whole compound; its parts follow it as tokens of their
   * own, which {@link Highlighter} passes over. Blanks get no lexemes and no normalising. Each
   * distinct word is normalised once (a page of ten chunks repeats most of its words: about 40%
   * less time than one {@code to_tsvector} per token).
   */
  static List<List<Token>> tokens(DSLContext sql, List<String> texts, List<String> languages) {
    List<List<Token>> out = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      out.add(new ArrayList<>());
    }
    if (texts.isEmpty()) {
      return out;
    }
    sql.resultQuery("""
        WITH p AS MATERIALIZED (
            SELECT s.ord, s.lang, p.tokid, p.token, p.pos
              FROM unnest({0}::text[], {1}::text[]) WITH ORDINALITY AS s (txt, lang, ord)
              CROSS JOIN LATERAL ts_parse((SELECT c.cfgparser FROM pg_catalog.pg_ts_config c WHERE c.oid = s.lang::regconfig),
                                          s.txt) WITH ORDINALITY AS p (tokid, token, pos)),
        w AS (
            SELECT d.lang, d.token, ARRAY(SELECT u.lexeme FROM unnest(to_tsvector(d.lang::regconfig, d.token)) u) AS lexemes
              FROM (SELECT DISTINCT lang, token FROM p WHERE tokid <> 12) d)
        SELECT p.ord, p.token, w.lexemes
          FROM p LEFT JOIN w ON p.tokid <> 12 AND w.lang = p.lang AND w.token = p.token
         ORDER BY p.ord, p.pos""",
            SqlArrays.texts(texts), SqlArrays.texts(languages))
        .forEach(r -> {
          String[] lexemes = r.get(2, String[].class);
          out.get(r.get(0, Integer.class) - 1).add(new Token(r.get(1, String.class),
              lexemes == null ? List.of() : List.of(lexemes)));
        });
    return out;
  }

  static List<String> sortedUnion(List<String> a, List<String> b) {
    var all = new TreeSet<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }
}
