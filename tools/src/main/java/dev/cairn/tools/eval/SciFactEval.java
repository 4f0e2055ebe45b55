package dev.cairn.tools.eval;

import dev.cairn.tools.ToolArgs;
import dev.cairn.search.v1.IndexSummary;
import dev.cairn.search.v1.SearchMode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Search quality on SciFact's train split through Cairn's public API, in one run: loads the
 * corpus as one fresh user (CreateItem, searchable, label {@code scifact_id}, N in flight), waits
 * for GetIndexStatus to report every document indexed, prints the indexing throughput, then runs
 * every query with qrels through Search in each mode and through a plain {@code ts_rank} SQL
 * baseline over the same chunks, and prints nDCG@10, Recall@100 and latency per row.
 *
 * <pre>java -cp tools/target/cairn-tools.jar dev.cairn.tools.eval.SciFactEval \
 *   --target 127.0.0.1:50051 --admin-token $ADMIN --jdbc jdbc:postgresql://localhost:5432/cairn \
 *   [--data ../shared/datasets/scifact] [--limit-docs N] [--limit-queries N] [--concurrency 8] \
 *   [--modes LEXICAL,SEMANTIC,HYBRID] [--or-words false] [--index-timeout-minutes 60] [--indexed-only true]
 * java -cp tools/target/cairn-tools.jar dev.cairn.tools.eval.SciFactEval --session FILE [options]   # a shared load, see EvalSession</pre>
 */
public final class SciFactEval {
  static final int NDCG_AT = 10;
  static final int RECALL_AT = 100;

  /** One table row: a mode or a baseline, its means over queries, and its latencies. */
  record Row(String name, int queries, double ndcg, double recall, double p50, double p99, int errors, String note) {}

  public static void main(String[] args) throws Exception {
    ToolArgs opts = ToolArgs.parse(args);
    EvalSession session = opts.get("session") == null ? null : EvalSession.read(Path.of(opts.get("session")));
    String target = session != null ? session.target() : opts.get("target", "127.0.0.1:50051");
    String admin = session != null ? session.adminToken() : opts.require("admin-token");
    String jdbc = session != null && session.get("jdbc") != null ? session.get("jdbc") : opts.require("jdbc");
    int concurrency = Integer.parseInt(opts.get("concurrency", "8"));
    int limitDocs = Integer.parseInt(opts.get("limit-docs", "0"));
    int limitQueries = Integer.parseInt(opts.get("limit-queries", "0"));
    long indexTimeout = TimeUnit.MINUTES.toNanos(Long.parseLong(opts.get("index-timeout-minutes", "60")));
    List<SearchMode> modes = new ArrayList<>();
    for (String m : opts.get("modes", "LEXICAL,SEMANTIC,HYBRID").split(",")) {
      modes.add(SearchMode.valueOf("SEARCH_MODE_" + m.strip().toUpperCase(Locale.ROOT)));
    }

    SciFact all = SciFact.load(Path.of(opts.get("data", "../shared/datasets/scifact")));
    SciFact data = all;
    if (limitDocs > 0 || limitQueries > 0) {
      data = data.limit(limitDocs > 0 ? limitDocs : Integer.MAX_VALUE, limitQueries > 0 ? limitQueries : Integer.MAX_VALUE);
    } else {
      data = new SciFact(all.corpus(), all.queries().stream().filter(q -> all.qrels().containsKey(q.id())).toList(), all.qrels());
    }
    System.out.printf(Locale.ROOT, "scifact train: %d documents, %d queries with qrels, %d in flight%n",
        data.corpus().size(), data.queries().size(), concurrency);

    ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(16 << 20).build();
    try {
      LoadedCorpus loaded = LoadedCorpus.open(channel, admin, session, "scifact", data, all, concurrency, indexTimeout,
          "true".equals(opts.get("indexed-only")));
      ApiClient api = loaded.api();
      Map<String, String> itemToDoc = loaded.itemToDoc();
      data = loaded.data();
      List<Row> rows = new ArrayList<>();
      for (SearchMode mode : modes) {
        rows.add(evaluate(mode.name().substring("SEARCH_MODE_".length()), data, q -> {
          List<String> ids = new ArrayList<>();
          for (String item : api.search(q, mode, RECALL_AT)) {
            ids.add(itemToDoc.getOrDefault(item, item));
          }
          return ids;
        }));
      }
      if (!"false".equals(opts.get("or-words"))) {
        // the same claims with every word OR-ed in websearch syntax: Cairn's BM25 under the matching
        // rule of the OR-ed ts_rank baseline (a claim's words are rarely all in one abstract)
        rows.add(evaluate("LEXICAL, words OR-ed", data, q -> {
          List<String> ids = new ArrayList<>();
          for (String item : api.search(orWords(q), SearchMode.SEARCH_MODE_LEXICAL, RECALL_AT)) {
            ids.add(itemToDoc.getOrDefault(item, item));
          }
          return ids;
        }));
      }
      try (var sql = new TsRankBaseline(jdbc, opts.get("jdbc-user", "postgres"), opts.get("jdbc-password", ""),
          UUID.fromString(api.userId))) {
        System.out.printf(Locale.ROOT, "chunks indexed: %,d%n", sql.chunks());
        for (TsRankBaseline.Form form : TsRankBaseline.Form.values()) {
          rows.add(evaluate("ts_rank SQL (" + form.name().toLowerCase(Locale.ROOT) + ")", data, q -> {
            List<String> ids = new ArrayList<>();
            for (UUID item : sql.rank(q, form, RECALL_AT)) {
              ids.add(itemToDoc.getOrDefault("items/" + item, item.toString()));
            }
            return ids;
          }));
        }
      }
      print(rows);
    } finally {
      channel.shutdownNow();
    }
  }

  /** {@code a OR b OR c} of the query's words (letters and digits only, so no websearch operator slips in). */
  static String orWords(String query) {
    List<String> words = new ArrayList<>();
    for (String w : query.split("[^\\p{L}\\p{N}]+")) {
      if (!w.isEmpty() && !w.equalsIgnoreCase("or")) {
        words.add(w);
      }
    }
    return String.join(" OR ", words);
  }

  @FunctionalInterface
  interface Ranker {
    List<String> rank(String query) throws Exception;
  }

  /** Uploads the corpus, waits until it is indexed; returns item name → scifact id. */
  static Map<String, String> load(ApiClient api, SciFact data, int concurrency, long timeoutNanos) throws Exception {
    Map<String, String> itemToDoc = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long start = System.nanoTime();
    List<Future<?>> futures = new ArrayList<>();
    for (SciFact.Doc doc : data.corpus()) {
      futures.add(pool.submit(() -> itemToDoc.put(api.create(doc), doc.id())));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    double uploadSeconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "uploaded %d documents in %.1f s (%.1f docs/s)%n", itemToDoc.size(), uploadSeconds,
        itemToDoc.size() / uploadSeconds);
    waitIndexed(api, data.corpus().size(), start, timeoutNanos);
    return itemToDoc;
  }

  /** Polls GetIndexStatus until {@code documents} items are indexed or failed and none is pending; prints the throughput from {@code start}. */
  static void waitIndexed(ApiClient api, int documents, long start, long timeoutNanos) throws InterruptedException {
    IndexSummary s;
    long lastPrint = 0;
    while (true) {
      s = api.summary();
      long now = System.nanoTime();
      if (s.getPendingCount() == 0 && s.getIndexedCount() + s.getFailedCount() >= documents) {
        break;
      }
      if (now - start > timeoutNanos) {
        throw new IllegalStateException("indexing did not finish in time: " + s);
      }
      if (now - lastPrint > 10_000_000_000L) {
        System.out.printf(Locale.ROOT, "  indexing: %d indexed, %d failed, %d pending, lag %d s%n",
            s.getIndexedCount(), s.getFailedCount(), s.getPendingCount(), s.getLag().getSeconds());
        lastPrint = now;
      }
      Thread.sleep(1000); // a summary counts every item of the user: polled gently, the figure only needs seconds
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(Locale.ROOT, "indexed %d documents (%d failed) in %.1f s from the first upload: %.1f docs/s%n",
        s.getIndexedCount(), s.getFailedCount(), seconds, documents / seconds);
  }

  /** Runs every query through {@code ranker}; a mode the server refuses on the first query is reported, not fatal. */
  private static Row evaluate(String name, SciFact data, Ranker ranker) {
    double ndcg = 0;
    double recall = 0;
    int errors = 0;
    List<Double> latencies = new ArrayList<>();
    String note = "";
    int n = 0;
    for (SciFact.Query q : data.queries()) {
      Map<String, Integer> rels = data.qrels().get(q.id());
      if (rels == null || rels.isEmpty()) {
        continue; // BEIR: queries without judgments are not scored
      }
      List<String> ranking;
      long t0 = System.nanoTime();
      try {
        ranking = ranker.rank(q.text());
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (n == 0 && (code == Status.Code.FAILED_PRECONDITION || code == Status.Code.UNIMPLEMENTED)) {
          return new Row(name, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0,
              "refused: " + code + " " + e.getStatus().getDescription());
        }
        errors++;
        note = code + " " + e.getStatus().getDescription();
        ranking = List.of(); // counted as a query that found nothing
      } catch (Exception e) {
        throw new IllegalStateException(name + " failed on query " + q.id(), e);
      }
      latencies.add((System.nanoTime() - t0) / 1e6);
      ndcg += Metrics.ndcg(ranking, rels, NDCG_AT);
      recall += Metrics.recall(ranking, rels, RECALL_AT);
      n++;
    }
    System.out.printf(Locale.ROOT, "  %s: %d queries done: nDCG@10 %.4f, Recall@100 %.4f%n", name, n, ndcg / n, recall / n);
    return new Row(name, n, ndcg / n, recall / n, Metrics.quantile(latencies, 0.5), Metrics.quantile(latencies, 0.99), errors,
        errors == 0 ? "" : errors + " errors, last: " + note);
  }

  private static void print(List<Row> rows) {
    System.out.println();
    System.out.printf(Locale.ROOT, "%-26s %7s %8s %10s %9s %9s  %s%n", "", "queries", "nDCG@10", "Recall@100", "p50 ms", "p99 ms", "");
    for (Row r : rows) {
      if (Double.isNaN(r.ndcg())) {
        System.out.printf(Locale.ROOT, "%-26s %7s %8s %10s %9s %9s  %s%n", r.name(), "-", "-", "-", "-", "-", r.note());
      } else {
        System.out.printf(Locale.ROOT, "%-26s %7d %8.4f %10.4f %9.1f %9.1f  %s%n", r.name(), r.queries(), r.ndcg(), r.recall(),
            r.p50(), r.p99(), r.note());
      }
    }
  }

  private SciFactEval() {}
}
