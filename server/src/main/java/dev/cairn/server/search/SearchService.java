package dev.cairn.server.search;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.access.VaultAccess.Access;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Futures;
import dev.cairn.server.core.Now;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.search.Search.Explanation;
import dev.cairn.server.search.Search.Hit;
import dev.cairn.server.search.Search.Mode;
import dev.cairn.server.search.Search.Query;
import dev.cairn.server.search.Search.Result;
import dev.cairn.server.search.Search.Stage;
import dev.cairn.server.search.Search.StageReport;
import dev.cairn.server.search.SearchRepository.ChunkRow;
import dev.cairn.server.search.SearchRepository.Cursor;
import dev.cairn.server.search.SearchRepository.Ranked;
import dev.cairn.server.search.SearchRepository.Stats;
import dev.cairn.server.search.index.ChunkText;
import dev.cairn.server.search.index.IndexStatuses;
import dev.cairn.server.search.index.WordSpans;
import dev.cairn.server.search.vector.VectorHit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Search, index status and reindexing. A search runs in one transaction as the caller: the
 * query is parsed by PostgreSQL ({@code websearch_to_tsquery}, which never fails on syntax),
 * BM25 statistics are gathered over what the caller can read, the lexical stages run in order
 * (EXACT, then PREFIX when EXACT finds nothing, then TYPO with misspelt words corrected) and stop
 * at the first that finds something, then SEMANTIC when they found nothing; SEMANTIC mode asks
 * the vector index only, HYBRID fuses the lexical and semantic lists. Every vector hit is
 * re-checked in SQL (rights, current version, filter) before it is used, so a replica's stale
 * vector never surfaces. Each hit is decrypted,
 * highlighted, given the grant it came through, and, when it is someone else's item, recorded in
 * its owner's audit chain like a read.
 */
public final class SearchService {
  static final int MAX_QUERY_CODE_POINTS = 1000;
  private static final String METHOD = "Search";

  private final Database database;
  private final ContentStore content;
  private final VaultAccess access;
  private final AuditLog audit;
  private final PageTokens pageTokens;
  private final IndexStatuses statuses;
  private final SearchSettings settings;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final SearchRepository repository = new SearchRepository();
  private final TypoCorrector typos = new TypoCorrector(repository);
  private final Highlighter highlighter;
  private final QueryEmbeddings queryVectors;
  private final VectorSync vectors;
  private final Tracer tracer;
  private final StageSpans stages;
  /** Side connections for the hybrid searches' re-checks ({@link SideRecheck}). */
  private final java.util.concurrent.Semaphore sideConnections;
  /**
   * Searches that may hold their connection while their vector catch-up runs alongside (see
   * untracedSearch): the side re-checks' bound, under half the pool, so the two together stay under it.
   */
  private final java.util.concurrent.Semaphore catchUpOverlaps;
  private final io.micrometer.core.instrument.Counter sideRechecks;

  public SearchService(Database database, ContentStore content, VaultAccess access, AuditLog audit, PageTokens pageTokens,
      IndexStatuses statuses, QueryEmbeddings queryVectors, VectorSync vectors, SearchSettings settings, Clock clock,
      MeterRegistry metrics, Tracer tracer) {
    this.tracer = requireNonNull(tracer, "tracer");
    this.stages = new StageSpans(tracer, metrics);
    this.database = requireNonNull(database, "database");
    this.content = requireNonNull(content, "content");
    this.access = requireNonNull(access, "access");
    this.audit = requireNonNull(audit, "audit");
    this.pageTokens = requireNonNull(pageTokens, "pageTokens");
    this.statuses = requireNonNull(statuses, "statuses");
    this.settings = requireNonNull(settings, "settings");
    this.clock = requireNonNull(clock, "clock");
    this.metrics = requireNonNull(metrics, "metrics");
    this.highlighter = new Highlighter(settings.snippetCodePoints());
    this.queryVectors = requireNonNull(queryVectors, "queryVectors");
    this.vectors = requireNonNull(vectors, "vectors");
    this.sideConnections = SideRecheck.permits(database.poolSize());
    this.catchUpOverlaps = SideRecheck.permits(database.poolSize());
    this.sideRechecks = io.micrometer.core.instrument.Counter.builder("cairn.search.side.rechecks")
        .description("hybrid searches whose vector hits were re-checked on a connection of their own, beside the lexical ranking")
        .register(metrics);
  }

  // ---------------------------------------------------------------- search

  /** One span per search (mode, the stage that answered, hits), the query's embedding as its child. */
  public Result search(Caller caller, Query query) {
    return search(caller, query, (sql, result) -> result);
  }

  /** Work on a search's result inside the search's own transaction (the same snapshot and rights). */
  @FunctionalInterface
  public interface InTransaction<T> {
    T apply(DSLContext sql, Result result);
  }

  /**
   * Searches, then hands the result (with each hit's full chunk text, {@link Result#passages})
   * to {@code then} in the same transaction: chat reads, audits and stores its citations there
   * without a second transaction re-checking what this one just checked. One span per search
   * (mode, the stage that answered, hits); a model run for the query's vector is its child.
   */
  public <T> T search(Caller caller, Query query, InTransaction<T> then) {
    Span span = tracer.spanBuilder("search").setAttribute("cairn.search.mode", query.mode().name()).startSpan();
    try (Scope ignored = StageSpans.open(span, query.mode().name())) {
      Result[] result = new Result[1];
      long started = System.nanoTime();
      T out = untracedSearch(caller, query, then, result);
      // the whole search as the service runs it (a timer, no span: the search's own span is it); set
      // against the client's figure, what the gRPC call around the service costs
      stages.record("call", System.nanoTime() - started);
      span.setAttribute("cairn.search.hits", result[0].hits().size());
      span.setAttribute("cairn.search.stage",
          result[0].hits().isEmpty() ? "NONE" : result[0].hits().getFirst().stage().name());
      return out;
    } catch (RuntimeException e) {
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      throw e;
    } finally {
      span.end();
    }
  }

  private <T> T untracedSearch(Caller caller, Query query, InTransaction<T> then, Result[] result) {
    UUID me = caller.requireUserId();
    checkText(query.text());
    PageBinding binding = binding(caller, query);
    Position after = pageTokens.decode(query.pageToken(), binding, Position::read);
    int size = PageTokens.pageSize(query.pageSize(), 10, 100);
    long started = System.nanoTime();
    // The query is embedded outside the transaction (no model inference while a connection is
    // held), on its own virtual thread: at once for SEMANTIC and HYBRID, and for a LEXICAL page
    // that continues the semantic fallback. A LEXICAL search first runs without it; only when its
    // ladder finds nothing does it embed and run once more, so a query the words answer never
    // pays for the model.
    boolean lazy = query.mode() == Mode.LEXICAL && (after == null || after.stage() != Stage.SEMANTIC);
    CompletableFuture<float[]> pending = lazy ? null : queryVectors.start(me, query.text());
    // the vector index's changes committed so far (this replica's own writes among them): a
    // barrier round trip, then an indexed read if any came. Only a search that reads the vectors
    // waits for it: a LEXICAL search the words answer never does (without the query's vector it
    // cannot reach the index), and one that falls back to meaning catches up before its second
    // run. It starts now, on a thread of its own, so that it runs alongside the wait for the
    // query's vector and the transaction's first statement; the vector search joins it first
    // (requireVector). The catch-up began after the call did, so it still brings in every
    // change committed before the search.
    //
    // A search that holds its connection while it waits for a catch-up which may need a
    // connection of its own (to read the log) must never be one of a pool's worth: at most
    // `catchUpOverlaps` permits' worth overlap at once, fewer than the pool holds, so the connections
    // other work holds are always given back and the catch-up is never waiting on its own
    // waiters. A search without a permit catches up first, holding nothing, as it did before.
    boolean overlap = pending != null && catchUpOverlaps.tryAcquire();
    T out;
    try {
      QueryVector vector = pending == null ? null : queryVector(pending, overlap);
      try {
        out = searchOnce(caller, query, after, size, binding, vector, then, result);
      } catch (NeedsVector e) {
        CompletableFuture<Void> caughtUp = caughtUpFirst();
        out = searchOnce(caller, query, after, size, binding,
            new QueryVector(queryVectors.get(me, query.text()), caughtUp), then, result);
      }
    } finally {
      if (overlap) {
        catchUpOverlaps.release();
      }
    }
    Stage found = result[0].hits().isEmpty() ? null : result[0].hits().getFirst().stage();
    Timer.builder("cairn.search.latency").description("Search calls, by mode and the stage that answered")
        .tag("mode", query.mode().name()).tag("stage", found == null ? "NONE" : found.name())
        .register(metrics).record(Duration.ofNanos(System.nanoTime() - started));
    return out;
  }

  /**
   * The query's vector from {@code pending}, with the index's catch-up started first so that the
   * two waits overlap: beside the search ({@code overlap}, a permit held) or done before it.
   */
  private QueryVector queryVector(CompletableFuture<float[]> pending, boolean overlap) {
    CompletableFuture<Void> caughtUp = overlap ? catchUpAlongside() : caughtUpFirst();
    return new QueryVector(stages.around("embed.wait", () -> QueryEmbeddings.join(pending)), caughtUp);
  }

  /** {@link VectorSync#catchUp} on this thread, before the search takes its connection: done when it returns. */
  private CompletableFuture<Void> caughtUpFirst() {
    stages.run("catchup", vectors::catchUp);
    return CompletableFuture.completedFuture(null);
  }

  /** {@link VectorSync#catchUp} on a virtual thread, timed as the "catchup" stage, under the call's context. */
  private CompletableFuture<Void> catchUpAlongside() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Runnable work = () -> {
      try {
        stages.run("catchup", vectors::catchUp);
        done.complete(null);
      } catch (RuntimeException | Error e) {
        done.completeExceptionally(e);
      }
    };
    startAlongside("cairn-search-catchup", work);
    return done;
  }

  /**
   * Starts {@code work} on a virtual thread under the call's contexts: its deadline and
   * cancellation hold there, and its stages are timed under the search's mode and span.
   */
  private static void startAlongside(String thread, Runnable work) {
    Thread.ofVirtual().name(thread)
        .start(io.grpc.Context.current().wrap(io.opentelemetry.context.Context.current().wrap(work)));
  }

  /**
   * The query's vector, and the vector index's catch-up begun with the search: the vector is
   * only handed out ({@link #requireVector}) once the index holds every change committed before
   * the search began, so no search reads the index before then.
   */
  private record QueryVector(float[] values, CompletableFuture<Void> caughtUp) {}

  private <T> T searchOnce(Caller caller, Query query, @Nullable Position after, int size, PageBinding binding,
      @Nullable QueryVector vector, InTransaction<T> then, Result[] result) {
    // tx.open (a pooled connection, BEGIN and the caller's identity) and tx.commit are the
    // transaction's own costs around its statements: timed so the stages add up to it
    long opening = System.nanoTime();
    long[] done = new long[1];
    T out = stages.around("transaction", () -> database.transaction(caller, sql -> {
      stages.record("tx.open", System.nanoTime() - opening);
      result[0] = searchIn(sql, caller, query, after, size, binding, vector);
      T then1 = stages.around("then", () -> then.apply(sql, result[0]));
      done[0] = System.nanoTime();
      return then1;
    }));
    stages.record("tx.commit", System.nanoTime() - done[0]);
    return out;
  }

  private Result searchIn(DSLContext sql, Caller caller, Query query, @Nullable Position after, int size,
      PageBinding binding, @Nullable QueryVector vector) {
    UUID me = caller.requireUserId();
    if (query.mode() == Mode.SEMANTIC) {
      List<UUID> others = query.filter().ownedOnly() ? List.of()
          : stages.around("grants", () -> repository.grantingOwners(sql, me));
      List<StageReport> reports = new ArrayList<>();
      return semanticPage(sql, caller, query, others, requireVector(vector), -1, after, size, binding, reports);
    }
    // the granting owners (none when owned_only), the caller's own totals, the query parsed and
    // its words' own statistics come in one statement
    String language = query.language().isEmpty() ? null : Languages.require(sql, "language", query.language());
    SearchRepository.Start start = stages.around("start", () -> repository.start(sql, me, !query.filter().ownedOnly(),
        query.text(), language == null ? null : List.of(language)));
    Lexical lexical = stages.around("stats", () -> lexical(sql, caller, query, language, start));
    return query.mode() == Mode.HYBRID
        ? hybrid(sql, caller, query, lexical, requireVector(vector), after, size, binding)
        : run(sql, caller, query, lexical, vector, after, size, binding);
  }

  /**
   * The query parsed in the languages the caller's readable chunks use, with their BM25
   * statistics: what {@code start} read, plus, when others share with the caller, the
   * configurations only their chunks use and their statistics.
   */
  private Lexical lexical(DSLContext sql, Caller caller, Query query, @Nullable String language, SearchRepository.Start start) {
    UUID me = caller.requireUserId();
    List<UUID> others = start.others();
    SearchRepository.Own own = start.own();
    List<UUID> owners = new ArrayList<>(others);
    owners.addFirst(me);
    var shared = repository.shared(sql, caller.principal(), others);
    Map<@Nullable String, String> parsed = stages.around("stats.parse", () -> parse(sql, query.text(), language,
        SearchRepository.sortedUnion(own.languages(), shared.languages()), start.parsed()));
    List<String> terms = terms(parsed);
    Map<String, Long> ownDf = new HashMap<>(start.ownDf());
    List<String> uncovered = terms.stream().filter(t -> !start.covered().contains(t)).toList();
    if (!uncovered.isEmpty()) {
      ownDf.putAll(repository.ownDf(sql, me, uncovered));
    }
    Stats stats = stages.around("stats.terms",
        () -> repository.stats(sql, caller.principal(), own, ownDf, others, shared, terms));
    return new Lexical(owners, others, parsed, terms, stats, language, own, shared);
  }

  /**
   * Thrown out of a LEXICAL search's transaction (rolling it back: nothing was written, no hit
   * was found) when it reaches the semantic fallback without the query's vector.
   */
  private static final class NeedsVector extends RuntimeException {
    NeedsVector() {
      super("the semantic fallback needs the query's vector", null, false, false);
    }
  }

  /** The query's vector once the index has caught up; without one, NeedsVector. */
  private float[] requireVector(@Nullable QueryVector vector) {
    if (vector == null) {
      throw new NeedsVector();
    }
    stages.run("catchup.wait", () -> Futures.await(vector.caughtUp(), "the vector index caught up"));
    return vector.values();
  }

  /**
   * The parsed query and the statistics its lexical stages rank with.
   *
   * @param language the query's text search configuration (the null key of {@code parsed}); null for each item's own
   * @param own the caller's own totals (read once per search, reused by the TYPO stage)
   * @param shared what others share with the caller, counted once per search (reused by the TYPO stage)
   */
  private record Lexical(List<UUID> owners, List<UUID> others, Map<@Nullable String, String> parsed, List<String> terms,
      Stats stats, @Nullable String language, SearchRepository.Own own, SearchRepository.Shared shared) {}

  /** The TYPO stage's query: the corrected words, parsed, with their statistics, and what was corrected. */
  private record Typo(Lexical lexical, TypoCorrector.Rewrite rewrite) {}

  /**
   * The query with its misspelt words corrected against the vocabulary of what the caller can
   * read (null when none needs and finds a correction), with the statistics of the new words.
   */
  private @Nullable Typo typo(DSLContext sql, Caller caller, Query query, Lexical lexical) {
    return stages.around("typo.correct", () -> correct(sql, caller, query, lexical));
  }

  private @Nullable Typo correct(DSLContext sql, Caller caller, Query query, Lexical lexical) {
    var rewrite = typos.correct(sql, caller.principal(), lexical.owners(), query.filter(), query.text(), lexical.parsed(),
        lexical.language(), lexical.stats().documentFrequency());
    if (rewrite == null) {
      return null;
    }
    Counter.builder("cairn.search.typo.corrections").description("query words the TYPO stage corrected")
        .register(metrics).increment(rewrite.corrections().size());
    List<String> terms = terms(rewrite.parsed());
    Stats stats = repository.stats(sql, caller.principal(), lexical.own(),
        repository.ownDf(sql, caller.requireUserId(), terms),
        lexical.others(), lexical.shared(), terms);
    return new Typo(new Lexical(lexical.owners(), lexical.others(), rewrite.parsed(), terms, stats, lexical.language(),
        lexical.own(), lexical.shared()),
        rewrite);
  }

  /** Empty, over-long and control characters are refused before PostgreSQL sees the text. */
  private static void checkText(String text) {
    if (text.isBlank()) {
      throw CairnException.invalidField("query", "empty (expected: 1.." + MAX_QUERY_CODE_POINTS + " characters of words)");
    }
    int length = text.codePointCount(0, text.length());
    if (length > MAX_QUERY_CODE_POINTS) {
      throw CairnException.invalidField("query", length + " characters (expected: at most " + MAX_QUERY_CODE_POINTS + ")");
    }
    if (text.chars().anyMatch(c -> c < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
      throw CairnException.invalidField("query", "contains control characters such as NUL (expected: text)");
    }
  }

  /**
   * The query per text search configuration; INVALID_ARGUMENT when no configuration finds a word
   * in it. {@code known} holds the parses already read (by {@link SearchRepository#start}); a
   * configuration in use that is not among them is parsed now.
   */
  private Map<@Nullable String, String> parse(DSLContext sql, String text, @Nullable String language, List<String> inUse,
      Map<String, String> known) {
    Map<@Nullable String, String> parsed = new LinkedHashMap<>();
    if (language != null) {
      String q = known.containsKey(language) ? known.get(language) : repository.parse(sql, language, text);
      if (!q.isEmpty()) {
        parsed.put(null, q);
      }
    } else {
      for (String l : inUse.isEmpty() ? List.of(Languages.DEFAULT) : inUse) {
        String q = known.containsKey(l) ? known.get(l) : repository.parse(sql, l, text);
        if (!q.isEmpty()) {
          parsed.put(l, q);
        }
      }
    }
    parsed.values().removeIf(q -> QueryTerms.positive(q).isEmpty());
    if (parsed.isEmpty()) {
      throw CairnException.invalidField("query",
          "has no words to search for: only stop words, operators or excluded words (expected: at least one word, e.g. \"solar panels\")");
    }
    return parsed;
  }

  private List<String> terms(Map<@Nullable String, String> parsed) {
    Set<String> terms = new LinkedHashSet<>();
    parsed.values().forEach(q -> terms.addAll(QueryTerms.positive(q)));
    if (terms.size() > settings.maxQueryTerms()) {
      throw CairnException.invalidField("query", terms.size() + " distinct words (expected: at most " + settings.maxQueryTerms() + ")");
    }
    return List.copyOf(terms);
  }

  /**
   * LEXICAL: the stages in order (or, on a later page, the stage the first page came from), and
   * when EXACT, PREFIX and TYPO find nothing, the semantic fallback (hits from the fallback's least
   * similarity up), labelled SEMANTIC.
   */
  private Result run(DSLContext sql, Caller caller, Query query, Lexical lexical, @Nullable QueryVector vector,
      @Nullable Position after, int size, PageBinding binding) {
    List<StageReport> reports = new ArrayList<>();
    if (after != null && after.stage() == Stage.SEMANTIC) {
      return semanticPage(sql, caller, query, lexical.others(), requireVector(vector), settings.fallbackMinSimilarity(),
          after, size, binding, reports);
    }
    List<Stage> ladder = after != null ? List.of(after.stage()) : List.of(Stage.EXACT, Stage.PREFIX, Stage.TYPO);
    Cursor cursor = after == null ? null : new Cursor(after.score(), after.itemId());
    List<Ranked> exact = List.of();
    for (Stage tried : ladder) {
      Stage stage = tried;
      long t0 = System.nanoTime();
      @Nullable Lexical used = lexical;
      TypoCorrector.Rewrite rewrite = null;
      if (tried == Stage.TYPO) {
        Typo typo = typo(sql, caller, query, lexical);
        used = typo == null ? null : typo.lexical();
        rewrite = typo == null ? null : typo.rewrite();
      }
      List<Ranked> ranked = used == null ? List.of() : rankLexical(sql, caller, query, used, tried, cursor, size + 1);
      int total = ranked.isEmpty() ? 0 : ranked.getFirst().total();
      reports.add(new StageReport(tried, total, took(query, t0), rewrite == null ? "" : rewrite.text()));
      if (tried == Stage.EXACT && after == null && !ranked.isEmpty() && !lastWordMatched(ranked, lexical)) {
        exact = ranked; // the last word matched nothing: it is probably being typed, try it as a prefix
        continue;
      }
      if (ranked.isEmpty() && tried == Stage.PREFIX && !exact.isEmpty()) {
        ranked = exact; // the prefix found nothing more: the exact hits stand
        stage = Stage.EXACT;
      }
      if (!ranked.isEmpty() || after != null) {
        Stage found = stage;
        Lexical shown = used == null ? lexical : used;
        List<String> corrections = rewrite == null ? List.of() : rewrite.shown();
        var page = pageTokens.page(ranked, size, binding, r -> new Position(found, r.score(), r.itemId()));
        List<Candidate> candidates = new ArrayList<>();
        for (Ranked r : page.rows()) {
          candidates.add(new Candidate(r, found,
              Explanation.lexical(r.score(), candidates.size() + 1, r.matched(), corrections)));
        }
        return result(hits(sql, caller, query, candidates, shown.terms(), prefixesOf(found, shown)),
            page.nextPageToken(), reports);
      }
    }
    return semanticPage(sql, caller, query, lexical.others(), requireVector(vector), settings.fallbackMinSimilarity(),
        null, size, binding, reports);
  }

  private List<Ranked> rankLexical(DSLContext sql, Caller caller, Query query, Lexical lexical, Stage stage,
      @Nullable Cursor after, int limit) {
    String span = switch (stage) {
      case PREFIX -> "prefix";
      case TYPO -> "typo";
      default -> "lexical";
    };
    return stages.around(span, () -> rankWords(sql, caller, query, lexical, stage, after, limit));
  }

  private List<Ranked> rankWords(DSLContext sql, Caller caller, Query query, Lexical lexical, Stage stage,
      @Nullable Cursor after, int limit) {
    boolean syntax = QueryTerms.usesSyntax(query.text());
    if (stage != Stage.PREFIX && !syntax) {
      // plain words match a chunk holding any of them: ranked from the terms' postings alone
      List<SearchRepository.Term> terms = new ArrayList<>();
      lexical.parsed().forEach((language, q) -> new LinkedHashSet<>(QueryTerms.positive(q)).forEach(
          lexeme -> terms.add(new SearchRepository.Term(lexeme, language, lexical.stats().idf(lexeme)))));
      return repository.rankTerms(sql, caller.principal(), lexical.owners(), terms, query.filter(),
          lexical.stats().averageLength(), settings, after, limit);
    }
    Map<@Nullable String, String> queries = stage == Stage.PREFIX
        ? prefixed(lexical.parsed(), syntax)
        : anyWords(lexical.parsed(), syntax);
    Map<String, Double> idf = new LinkedHashMap<>();
    lexical.terms().forEach(t -> idf.put(t, lexical.stats().idf(t)));
    return repository.rank(sql, caller.principal(), lexical.owners(), queries, query.filter(), idf,
        prefixesOf(stage, lexical), lexical.stats().averageLength(), settings, after, limit);
  }

  private static Set<String> prefixesOf(Stage stage, Lexical lexical) {
    return stage == Stage.PREFIX ? lastWords(lexical.parsed()) : Set.of();
  }

  private static Duration took(Query query, long t0) {
    return query.explain() ? Duration.ofNanos(System.nanoTime() - t0) : Duration.ZERO;
  }

  // ---------------------------------------------------------------- semantic

  /**
   * The semantic list: the vector index's nearest chunks among what the caller may read (the
   * rights are the graph search's filter), each re-checked in SQL against the rights, the item's
   * current state and the filter now, then each item's best live chunk, most similar first.
   */
  private List<Ranked> semanticList(DSLContext sql, Caller caller, Query query, List<UUID> others, float[] vector,
      double minSimilarity) {
    return stages.around("semantic", () -> live(sql, caller, query, nearest(sql, caller, query, others, vector), minSimilarity));
  }

  /** The vector index's nearest chunks among what the caller may read (the rights read in SQL first). */
  private List<VectorHit> nearest(DSLContext sql, Caller caller, Query query, List<UUID> others, float[] vector) {
    var allowed = repository.readFilter(sql, caller.principal(), others, query.filter());
    return vectors.search(vector, settings.semanticCandidates(), allowed);
  }

  /**
   * The semantic leg of a hybrid search, started before the lexical ladder: the rights are read on
   * the search's connection (one statement, none for the caller's own items without a filter),
   * then the graph search, which is CPU only, runs on a virtual thread of its own while the
   * connection serves the lexical statements.
   */
  private CompletableFuture<List<VectorHit>> nearestAsync(DSLContext sql, Caller caller, Query query, List<UUID> others,
      float[] vector, @Nullable SideRecheck side) {
    var allowed = stages.around("semantic.filter", () -> repository.readFilter(sql, caller.principal(), others, query.filter()));
    CompletableFuture<List<VectorHit>> nearest = new CompletableFuture<>();
    Runnable work = () -> {
      List<VectorHit> found;
      try {
        found = stages.around("semantic.nearest", () -> vectors.search(vector, settings.semanticCandidates(), allowed));
      } catch (RuntimeException | Error e) {
        nearest.completeExceptionally(e);
        return;
      }
      nearest.complete(found);
      if (side != null) { // under the call's context: its deadline and cancellation hold for the statement
        stages.around("semantic.side", () -> {
          side.run(sideConnections, database, caller.principal(), found.stream().map(VectorHit::chunkId).toList(), sideRechecks);
          return null;
        });
      }
    };
    startAlongside("cairn-search-vectors", work);
    return nearest;
  }

  private static List<VectorHit> joinNearest(CompletableFuture<List<VectorHit>> nearest) {
    return Futures.await(nearest, "the vector index was searched");
  }

  private List<Ranked> live(DSLContext sql, Caller caller, Query query, List<VectorHit> nearest, double minSimilarity) {
    return live(sql, caller, query, nearest, minSimilarity, null);
  }

  /** As above, with the hits' re-check already read ({@code checked}; null: read it now). */
  private List<Ranked> live(DSLContext sql, Caller caller, Query query, List<VectorHit> nearest, double minSimilarity,
      @Nullable Map<UUID, SearchRepository.LiveChunk> checked) {
    var live = checked != null ? checked
        : repository.recheck(sql, caller.principal(), nearest.stream().map(VectorHit::chunkId).toList(), query.filter());
    Map<UUID, Ranked> best = new LinkedHashMap<>();
    for (VectorHit h : nearest) { // nearest first: an item's first live chunk is its best
      SearchRepository.LiveChunk c = live.get(h.chunkId());
      if (c != null && h.similarity() >= minSimilarity && !best.containsKey(c.itemId())) {
        best.put(c.itemId(), new Ranked(c.ownerId(), c.itemId(), c.version(), c.ordinal(), h.similarity(), List.of(), 0));
      }
    }
    List<Ranked> out = new ArrayList<>(best.values());
    out.sort(BY_SCORE);
    return out;
  }

  private static final Comparator<Ranked> BY_SCORE =
      Comparator.comparingDouble(Ranked::score).reversed().thenComparing(Ranked::itemId);

  private Result semanticPage(DSLContext sql, Caller caller, Query query, List<UUID> others, float[] vector,
      double minSimilarity, @Nullable Position after, int size, PageBinding binding, List<StageReport> reports) {
    long t0 = System.nanoTime();
    List<Ranked> list = semanticList(sql, caller, query, others, vector, minSimilarity);
    reports.add(new StageReport(Stage.SEMANTIC, list.size(), took(query, t0)));
    int skip = after == null ? 0 : (int) list.stream().takeWhile(r -> !isAfter(r.score(), r.itemId(), after)).count();
    List<Ranked> rest = list.subList(skip, Math.min(list.size(), skip + size + 1));
    var page = pageTokens.page(rest, size, binding, r -> new Position(Stage.SEMANTIC, r.score(), r.itemId()));
    List<Candidate> candidates = new ArrayList<>();
    for (Ranked r : page.rows()) {
      candidates.add(new Candidate(r, Stage.SEMANTIC, Explanation.semantic(r.score(), skip + candidates.size() + 1)));
    }
    return result(hits(sql, caller, query, candidates, List.of(), Set.of()), page.nextPageToken(), reports);
  }

  /** Whether (score, item) comes after the page end {@code after} in best-first order. */
  private static boolean isAfter(double score, UUID item, Position after) {
    return score < after.score() || (score == after.score() && item.compareTo(after.itemId()) > 0);
  }

  // ---------------------------------------------------------------- hybrid

  /**
   * HYBRID: the lexical list (the first of EXACT, PREFIX and TYPO that finds something) and the
   * semantic list, fused by reciprocal rank; an item only the semantic list holds is labelled
   * SEMANTIC. Pages are cut from the fused order (recomputed on each page, bound by the token).
   */
  private Result hybrid(DSLContext sql, Caller caller, Query query, Lexical lexical, float[] vector,
      @Nullable Position after, int size, PageBinding binding) {
    List<StageReport> reports = new ArrayList<>();
    long semanticStarted = System.nanoTime();
    SideRecheck side = SearchRepository.constant(caller.principal(), query.filter()) ? new SideRecheck() : null;
    CompletableFuture<List<VectorHit>> nearest = nearestAsync(sql, caller, query, lexical.others(), vector, side);
    Stage lexicalStage = Stage.EXACT;
    List<Ranked> lexicalList = List.of();
    Lexical used = lexical;
    List<String> corrections = List.of();
    List<Ranked> semanticList;
    try {
      for (Stage stage : List.of(Stage.EXACT, Stage.PREFIX, Stage.TYPO)) {
        long t0 = System.nanoTime();
        Typo typo = stage == Stage.TYPO ? typo(sql, caller, query, lexical) : null;
        lexicalList = stage == Stage.TYPO && typo == null ? List.of()
            : rankLexical(sql, caller, query, typo == null ? lexical : typo.lexical(), stage, null, settings.semanticCandidates());
        reports.add(new StageReport(stage, lexicalList.isEmpty() ? 0 : lexicalList.getFirst().total(), took(query, t0),
            typo == null ? "" : typo.rewrite().text()));
        lexicalStage = stage;
        if (!lexicalList.isEmpty()) {
          if (typo != null) {
            used = typo.lexical();
            corrections = typo.rewrite().shown();
          }
          break;
        }
      }
      List<VectorHit> hitsNear = joinNearest(nearest);
      semanticList = stages.around("semantic",
          () -> live(sql, caller, query, hitsNear, -1, side == null ? null : side.join()));
    } finally {
      if (side != null) {
        side.abandon(); // a search that failed before it needed the rows: the side leg must not start now
      }
    }
    // (the semantic leg's time ran alongside the lexical ladder's)
    reports.add(new StageReport(Stage.SEMANTIC, semanticList.size(), took(query, semanticStarted)));
    List<Ranked> lexicalTop = top(lexicalList);
    List<Fusion.Fused> fused = stages.around("fuse", () -> Fusion.fuse(lexicalTop, top(semanticList), settings.rrfK(),
        settings.lexicalWeight(), settings.semanticWeight()));
    int skip = after == null ? 0 : (int) fused.stream().takeWhile(f -> !isAfter(f.score(), f.itemId(), after)).count();
    List<Fusion.Fused> rest = fused.subList(skip, Math.min(fused.size(), skip + size + 1));
    var page = pageTokens.page(rest, size, binding, f -> new Position(Stage.EXACT, f.score(), f.itemId()));
    List<Candidate> candidates = new ArrayList<>();
    for (Fusion.Fused f : page.rows()) {
      Ranked shown = f.chunk();
      Ranked l = f.lexical();
      Ranked s = f.semantic();
      Ranked scored = new Ranked(shown.ownerId(), shown.itemId(), shown.version(), shown.ordinal(), f.score(),
          shown.matched(), 0);
      candidates.add(new Candidate(scored, l != null ? lexicalStage : Stage.SEMANTIC, new Explanation(
          l == null ? 0 : l.score(), f.lexicalRank(), s == null ? 0 : s.score(), f.semanticRank(), f.score(),
          l == null ? List.of() : l.matched(), l == null ? List.of() : corrections)));
    }
    return result(hits(sql, caller, query, candidates, used.terms(), prefixesOf(lexicalStage, used)),
        page.nextPageToken(), reports);
  }

  /** A list's first {@code fusionDepth} items: deeper ranks add mostly noise to the fusion. */
  private List<Ranked> top(List<Ranked> list) {
    return list.subList(0, Math.min(list.size(), settings.fusionDepth()));
  }

  /** A hit to render: its chunk and score, the stage to label it with, and its explanation. */
  private record Candidate(Ranked ranked, Stage stage, Explanation explanation) {}

  /** The words the prefix stage expands: each query's last. */
  /** Whether any of the hits holds the query's last word (in any of its languages' stemming). */
  private static boolean lastWordMatched(List<Ranked> ranked, Lexical lexical) {
    Set<String> last = lastWords(lexical.parsed());
    return ranked.stream().anyMatch(r -> r.matched().stream().anyMatch(last::contains));
  }

  private static Set<String> lastWords(Map<@Nullable String, String> parsed) {
    Set<String> out = new HashSet<>();
    parsed.values().forEach(q -> out.add(QueryTerms.positive(q).getLast()));
    return out;
  }

  /** Every query with its last word as a prefix. */
  private static Map<@Nullable String, String> prefixed(Map<@Nullable String, String> parsed, boolean syntax) {
    Map<@Nullable String, String> out = new LinkedHashMap<>();
    parsed.forEach((language, q) -> out.put(language, QueryTerms.prefixQuery(QueryTerms.positive(q), 1, !syntax)));
    return out;
  }

  /** Every query as the EXACT stage matches it (plain words: any of them). */
  private static Map<@Nullable String, String> anyWords(Map<@Nullable String, String> parsed, boolean syntax) {
    Map<@Nullable String, String> out = new LinkedHashMap<>();
    parsed.forEach((language, q) -> out.put(language, QueryTerms.anyWord(q, syntax)));
    return out;
  }

  // ---------------------------------------------------------------- hits

  /** The page's hits and, for in-transaction callers, their passages (see {@link Search.Passage}). */
  private record Hits(List<Hit> hits, List<Search.Passage> passages) {}

  private Result result(Hits hits, String nextPageToken, List<StageReport> reports) {
    return new Result(hits.hits(), nextPageToken, reports, hits.passages());
  }

  /** A page's candidates that passed the final re-check, with their rows, grants and decrypted texts. */
  private record Checked(Map<String, ChunkRow> rows, List<Candidate> kept, List<ChunkText> texts, List<String> languages,
      List<@Nullable Access> via) {}

  private Hits hits(DSLContext sql, Caller caller, Query query, List<Candidate> candidates, List<String> terms,
      Set<String> prefixes) {
    Checked checked = stages.around("recheck", () -> recheck(sql, caller, candidates));
    Rendered rendered = stages.around("highlight", () -> render(sql, caller, query, checked, terms, prefixes));
    stages.run("audit", () -> audit.appendAll(sql, rendered.reads()));
    return rendered.hits();
  }

  /**
   * Every hit read again under the read rule (a hit whose item went away since it was ranked is
   * dropped), the grant of each of someone else's, and its text decrypted.
   */
  private Checked recheck(DSLContext sql, Caller caller, List<Candidate> candidates) {
    List<Ranked> ranked = candidates.stream().map(Candidate::ranked).toList();
    Map<String, ChunkRow> rows = stages.around("recheck.rows", () -> repository.chunks(sql, caller.principal(), ranked));
    Map<UUID, ContentStore.ChunkTexts> keys = new LinkedHashMap<>();
    List<Candidate> kept = new ArrayList<>();
    List<ChunkText> texts = new ArrayList<>();
    List<String> languages = new ArrayList<>();
    List<@Nullable Access> via = new ArrayList<>();
    for (Candidate candidate : candidates) {
      Ranked r = candidate.ranked();
      ChunkRow row = rows.get(SearchRepository.key(r.itemId(), r.version(), r.ordinal()));
      if (row == null) {
        continue; // gone since it was ranked
      }
      Access grant = null;
      if (!row.ownerId().equals(caller.userId())) {
        grant = grantFor(sql, caller, row.itemId());
        if (grant == null) {
          continue;
        }
      }
      var cipher = keys.computeIfAbsent(row.ownerId(), owner -> content.chunkTexts(sql, owner, row.keyColumn()));
      kept.add(candidate);
      via.add(grant);
      texts.add(ChunkText.decode(cipher.decrypt(row.itemId(), row.version(), row.ordinal(), row.ciphertext())));
      languages.add(row.language());
    }
    return new Checked(rows, kept, texts, languages, via);
  }

  private Rendered render(DSLContext sql, Caller caller, Query query, Checked checked, List<String> terms, Set<String> prefixes) {
    Map<String, ChunkRow> rows = checked.rows();
    List<Candidate> kept = checked.kept();
    List<ChunkText> texts = checked.texts();
    List<@Nullable Access> via = checked.via();
    List<WordSpans> words = wordSpans(sql, texts, checked.languages(), terms.isEmpty() && prefixes.isEmpty());
    Set<String> exact = new HashSet<>(terms);
    List<Hit> hits = new ArrayList<>();
    List<Search.Passage> passages = new ArrayList<>();
    List<Map.Entry<UUID, AuditLog.Entry>> reads = new ArrayList<>();
    for (int i = 0; i < kept.size(); i++) {
      Ranked r = kept.get(i).ranked();
      ChunkRow row = rows.get(SearchRepository.key(r.itemId(), r.version(), r.ordinal()));
      var marked = highlighter.mark(texts.get(i).text(), words.get(i), exact, prefixes);
      Access grant = via.get(i);
      if (grant != null) {
        reads.add(Map.entry(row.ownerId(), auditHit(caller, row, grant)));
      }
      Hit hit = new Hit(row.ownerId(), row.itemId(), row.version(), row.ordinal(), row.displayName(), row.mediaType(),
          row.page(), texts.get(i).headings(), marked.snippet(), marked.highlights(), r.score(), kept.get(i).stage(),
          grant == null ? null : grant.grantId(),
          query.explain() ? kept.get(i).explanation() : null);
      hits.add(hit);
      passages.add(new Search.Passage(hit, texts.get(i).text(), grant == null ? null : grant.consentId()));
    }
    return new Rendered(new Hits(hits, passages), reads);
  }

  private static final WordSpans NO_WORDS = new WordSpans(List.of(), new int[0]);

  /**
   * Each text's word spans: stored with the chunk when it was indexed; for a chunk indexed before
   * they were stored, worked out by the parser now (one statement for all such hits). With no
   * words to mark (SEMANTIC) nothing is highlighted and none are needed.
   */
  private List<WordSpans> wordSpans(DSLContext sql, List<ChunkText> texts, List<String> languages, boolean nothingToMark) {
    List<WordSpans> out = new ArrayList<>(texts.size());
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      WordSpans stored = texts.get(i).words();
      out.add(nothingToMark ? NO_WORDS : stored);
      if (!nothingToMark && stored == null) {
        missing.add(i);
      }
    }
    if (!missing.isEmpty()) {
      var parsed = stages.around("highlight.tokens", () -> ChunkWords.of(sql,
          missing.stream().map(i -> texts.get(i).text()).toList(), missing.stream().map(languages::get).toList()));
      for (int j = 0; j < missing.size(); j++) {
        out.set(missing.get(j), parsed.get(j));
      }
    }
    return out;
  }

  /** The page's hits, and the reads of others' items they are to the audit log. */
  private record Rendered(Hits hits, List<Map.Entry<UUID, AuditLog.Entry>> reads) {}

  /** The grant through which the caller reads someone else's item now; null if none any more. */
  private @Nullable Access grantFor(DSLContext sql, Caller caller, UUID item) {
    try {
      return access.item(sql, caller, item, VaultAccess.Role.READ, false, false);
    } catch (CairnException e) {
      if (e.kind() == CairnException.Kind.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  private static AuditLog.Entry auditHit(Caller caller, ChunkRow row, Access grant) {
    return AuditLog.Entry.of("users/" + caller.requireUserId(), AuditAction.ITEM_SEARCH_HIT, "items/" + row.itemId(), caller.requestId())
            .withVia(grant.grantId(), null, grant.consentId())
            .withDetails(Map.of("version", Integer.toString(row.version()), "chunk", Integer.toString(row.ordinal())));
  }

  private static PageBinding binding(Caller caller, Query query) {
    var f = query.filter();
    return PageBinding.of(caller.principal(), METHOD)
        .with("query", query.text())
        .with("mode", query.mode())
        .with("language", query.language())
        .with("explain", query.explain())
        .with("items", f.items().stream().map(UUID::toString).sorted().toList())
        .with("collections", f.collections().stream().map(UUID::toString).sorted().toList())
        .with("labels", new TreeMap<>(f.labels()).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
        .with("media_types", f.mediaTypes().stream().sorted().toList())
        .with("start", f.start())
        .with("end", f.end())
        .with("owned_only", f.ownedOnly());
  }

  /** A page's end: the stage, the last hit's score and item. */
  private record Position(Stage stage, double score, UUID itemId) implements dev.cairn.server.db.PagePosition {
    @Override
    public void writeTo(Writer out) {
      out.putByte(stage.ordinal()).putLong(Double.doubleToLongBits(score)).putUuid(itemId);
    }

    static Position read(Reader in) {
      Stage stage = Stage.values()[in.getByte()];
      return new Position(stage, Double.longBitsToDouble(in.getLong()), in.getUuid());
    }
  }

  // ---------------------------------------------------------------- index status

  public IndexStatuses.ItemStatus itemStatus(Caller caller, UUID item) {
    return database.transaction(caller, sql -> {
      access.item(sql, caller, item, VaultAccess.Role.READ, false, false);
      return statuses.item(sql, item);
    });
  }

  public IndexStatuses.Summary summary(Caller caller) {
    UUID me = caller.requireUserId();
    return database.transaction(caller, sql -> statuses.summary(sql, me, clock.instant()));
  }

  /** Re-indexes an item: owner or WRITE grant; it must be searchable. */
  public IndexStatuses.ItemStatus reindex(Caller caller, UUID item) {
    return database.transaction(caller, sql -> {
      Access a = access.item(sql, caller, item, VaultAccess.Role.WRITE, false, true);
      if (!a.item().searchable()) {
        throw CairnException.failedPrecondition("items/" + item + " is not searchable (expected: set searchable first)");
      }
      statuses.requestReindex(sql, a.ownerId(), item,
          Now.of(clock));
      return statuses.item(sql, item);
    });
  }
}
