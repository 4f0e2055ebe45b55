package dev.cairn.server.search;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.access.VaultAccess.Access;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
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
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Search, index status and reindexing. A search runs in one transaction as the caller: the
 * query is parsed by PostgreSQL ({@code websearch_to_tsquery}, which never fails on syntax),
 * BM25 statistics are gathered over what the caller can read, the stages run in order (EXACT,
 * then PREFIX when EXACT finds nothing) and stop at the first that finds something, and each
 * hit is decrypted, highlighted, given the grant it came through, and, when it is someone
 * else's item, recorded in its owner's audit chain like a read.
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
  private final Highlighter highlighter;

  public SearchService(Database database, ContentStore content, VaultAccess access, AuditLog audit, PageTokens pageTokens,
      IndexStatuses statuses, SearchSettings settings, Clock clock, MeterRegistry metrics) {
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
  }

  // ---------------------------------------------------------------- search

  public Result search(Caller caller, Query query) {
    UUID me = caller.requireUserId();
    checkText(query.text());
    if (query.mode() == Mode.SEMANTIC) {
      throw CairnException.failedPrecondition("semantic search is not available on this server yet (expected: mode LEXICAL or HYBRID)");
    }
    PageBinding binding = binding(caller, query);
    Position after = pageTokens.decode(query.pageToken(), binding, Position::read);
    int size = PageTokens.pageSize(query.pageSize(), 10, 100);
    long started = System.nanoTime();
    Result result = database.transaction(caller, sql -> {
      String language = query.language().isEmpty() ? null : Languages.require(sql, "language", query.language());
      List<UUID> others = query.filter().ownedOnly() ? List.of() : repository.grantingOwners(sql, me);
      List<UUID> owners = new ArrayList<>(others);
      owners.addFirst(me);
      var shared = repository.sharedStats(sql, caller.principal(), others, List.of());
      Map<@Nullable String, String> parsed = parse(sql, query.text(), language,
          SearchRepository.sortedUnion(repository.ownLanguages(sql, me), shared.languages()));
      List<String> terms = terms(parsed);
      Stats stats = combine(repository.ownStats(sql, me, terms),
          repository.sharedStats(sql, caller.principal(), others, terms).stats());
      return run(sql, caller, query, owners, parsed, terms, stats, after, size, binding);
    });
    Stage found = result.hits().isEmpty() ? null : result.hits().getFirst().stage();
    Timer.builder("cairn.search.latency").description("Search calls, by mode and the stage that answered")
        .tag("mode", query.mode().name()).tag("stage", found == null ? "NONE" : found.name())
        .register(metrics).record(Duration.ofNanos(System.nanoTime() - started));
    return result;
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

  /** The query per text search configuration; INVALID_ARGUMENT when no configuration finds a word in it. */
  private Map<@Nullable String, String> parse(DSLContext sql, String text, @Nullable String language, List<String> inUse) {
    Map<@Nullable String, String> parsed = new LinkedHashMap<>();
    if (language != null) {
      String q = repository.parse(sql, language, text);
      if (!q.isEmpty()) {
        parsed.put(null, q);
      }
    } else {
      for (String l : inUse.isEmpty() ? List.of(Languages.DEFAULT) : inUse) {
        String q = repository.parse(sql, l, text);
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

  private static Stats combine(Stats a, Stats b) {
    Map<String, Long> df = new TreeMap<>(a.documentFrequency());
    b.documentFrequency().forEach((k, v) -> df.merge(k, v, Long::sum));
    return new Stats(a.chunks() + b.chunks(), a.lexemes() + b.lexemes(), df);
  }

  /** Runs the stages (or, on a later page, the stage the first page came from). */
  private Result run(DSLContext sql, Caller caller, Query query, List<UUID> owners, Map<@Nullable String, String> parsed,
      List<String> terms, Stats stats, @Nullable Position after, int size, PageBinding binding) {
    List<StageReport> reports = new ArrayList<>();
    List<Stage> ladder = after != null ? List.of(after.stage()) : List.of(Stage.EXACT, Stage.PREFIX);
    for (Stage stage : ladder) {
      Map<@Nullable String, String> queries = stage == Stage.EXACT ? parsed : prefixed(parsed);
      long t0 = System.nanoTime();
      Map<String, Double> idf = new LinkedHashMap<>();
      terms.forEach(t -> idf.put(t, stats.idf(t)));
      Set<String> prefixes = stage == Stage.PREFIX ? lastWords(parsed) : Set.of();
      List<Ranked> ranked = repository.rank(sql, caller.principal(), owners, queries, query.filter(), idf, prefixes,
          stats.averageLength(), settings, after == null ? null : new Cursor(after.score(), after.itemId()), size + 1);
      int total = ranked.isEmpty() ? 0 : ranked.getFirst().total();
      reports.add(new StageReport(stage, total, query.explain() ? Duration.ofNanos(System.nanoTime() - t0) : Duration.ZERO));
      if (!ranked.isEmpty() || after != null) {
        var page = pageTokens.page(ranked, size, binding, r -> new Position(stage, r.score(), r.itemId()));
        return new Result(hits(sql, caller, query, stage, page.rows(), terms, prefixes), page.nextPageToken(), reports);
      }
    }
    return new Result(List.of(), "", reports);
  }

  /** The words the prefix stage expands: each query's last. */
  private static Set<String> lastWords(Map<@Nullable String, String> parsed) {
    Set<String> out = new HashSet<>();
    parsed.values().forEach(q -> out.add(QueryTerms.positive(q).getLast()));
    return out;
  }

  /** Every query with its last word as a prefix. */
  private static Map<@Nullable String, String> prefixed(Map<@Nullable String, String> parsed) {
    Map<@Nullable String, String> out = new LinkedHashMap<>();
    parsed.forEach((language, q) -> out.put(language, QueryTerms.prefixQuery(QueryTerms.positive(q), 1)));
    return out;
  }

  // ---------------------------------------------------------------- hits

  private List<Hit> hits(DSLContext sql, Caller caller, Query query, Stage stage, List<Ranked> ranked, List<String> terms,
      Set<String> prefixes) {
    Map<String, ChunkRow> rows = repository.chunks(sql, caller.principal(), ranked);
    Map<UUID, ContentStore.ChunkTexts> keys = new LinkedHashMap<>();
    List<Ranked> kept = new ArrayList<>();
    List<ChunkText> texts = new ArrayList<>();
    List<String> languages = new ArrayList<>();
    List<@Nullable Access> via = new ArrayList<>();
    for (Ranked r : ranked) {
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
      var cipher = keys.computeIfAbsent(row.ownerId(), owner -> content.chunkTexts(sql, owner, false));
      kept.add(r);
      via.add(grant);
      texts.add(ChunkText.decode(cipher.decrypt(row.itemId(), row.version(), row.ordinal(), row.ciphertext())));
      languages.add(row.language());
    }
    var tokens = repository.tokens(sql, texts.stream().map(ChunkText::text).toList(), languages);
    Set<String> exact = new HashSet<>(terms);
    List<Hit> hits = new ArrayList<>();
    for (int i = 0; i < kept.size(); i++) {
      Ranked r = kept.get(i);
      ChunkRow row = rows.get(SearchRepository.key(r.itemId(), r.version(), r.ordinal()));
      var marked = highlighter.mark(texts.get(i).text(), tokens.get(i), exact, prefixes);
      Access grant = via.get(i);
      if (grant != null) {
        auditHit(sql, caller, row, grant);
      }
      hits.add(new Hit(row.ownerId(), row.itemId(), row.version(), row.ordinal(), row.displayName(), row.mediaType(),
          row.page(), texts.get(i).headings(), marked.snippet(), marked.highlights(), r.score(), stage,
          grant == null ? null : grant.grantId(),
          query.explain() ? new Explanation(r.score(), i + 1, r.matched()) : null));
    }
    return hits;
  }

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

  private void auditHit(DSLContext sql, Caller caller, ChunkRow row, Access grant) {
    audit.append(sql, row.ownerId(),
        AuditLog.Entry.of("users/" + caller.requireUserId(), AuditAction.ITEM_SEARCH_HIT, "items/" + row.itemId(), caller.requestId())
            .withVia(grant.grantId(), null, grant.consentId())
            .withDetails(Map.of("version", Integer.toString(row.version()), "chunk", Integer.toString(row.ordinal()))));
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
      if (!a.item().getSearchable()) {
        throw CairnException.failedPrecondition("items/" + item + " is not searchable (expected: set searchable first)");
      }
      statuses.requestReindex(sql, a.ownerId(), item,
          OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC));
      return statuses.item(sql, item);
    });
  }
}
