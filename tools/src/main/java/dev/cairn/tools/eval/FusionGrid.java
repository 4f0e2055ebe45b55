package dev.cairn.tools.eval;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.tools.ToolArgs;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Tunes HYBRID's reciprocal rank fusion on SciFact's train split through the public API: loads the
 * corpus as one user (as {@link SciFactEval} does), fetches each judged query's LEXICAL and SEMANTIC
 * lists once (top 100 items each: the lists the server's HYBRID fuses), and the server's own HYBRID
 * list, then fuses the two lists offline for every point of a grid of k, weights and candidate depth
 * with the server's rule (score = sum of weight / (k + rank); ties by item name) and prints nDCG@10
 * and Recall@100 per point, best first. The row {@code server HYBRID} is the server's answer as
 * configured; the offline point with the same settings should match it (it checks the replay).
 *
 * <pre>java -cp tools/target/cairn-tools.jar dev.cairn.tools.eval.FusionGrid --target 127.0.0.1:50051 \
 *   --admin-token $ADMIN [--data ../shared/datasets/scifact] [--limit-docs N] [--concurrency 8]
 * java -cp tools/target/cairn-tools.jar dev.cairn.tools.eval.FusionGrid --session FILE   # a shared load, see EvalSession</pre>
 */
public final class FusionGrid {
  private static final int DEPTH = 100;

  /** One query's lists: LEXICAL empty when its ladder found nothing (it fell back to SEMANTIC). */
  record Lists(Map<String, Integer> qrels, List<String> lexical, List<String> semantic, List<String> hybrid) {}

  record Point(int k, double lexicalWeight, double semanticWeight, int depth) {}

  public static void main(String[] argv) throws Exception {
    ToolArgs args = ToolArgs.parse(argv);
    EvalSession session = args.get("session") == null ? null : EvalSession.read(Path.of(args.get("session")));
    SciFact all = SciFact.load(Path.of(args.get("data", "../shared/datasets/scifact")));
    int limitDocs = Integer.parseInt(args.get("limit-docs", "0"));
    SciFact data = new SciFact(limitDocs > 0 ? all.corpus().subList(0, Math.min(limitDocs, all.corpus().size())) : all.corpus(),
        all.queries().stream().filter(q -> all.qrels().containsKey(q.id())).toList(), all.qrels());
    ManagedChannel channel = NettyChannelBuilder.forTarget(session != null ? session.target() : args.get("target", "127.0.0.1:50051"))
        .usePlaintext().maxInboundMessageSize(16 << 20).build();
    try {
      LoadedCorpus loaded = LoadedCorpus.open(channel, session != null ? session.adminToken() : args.require("admin-token"), session,
          "fusion", data, all, Integer.parseInt(args.get("concurrency", "8")),
          TimeUnit.MINUTES.toNanos(Long.parseLong(args.get("index-timeout-minutes", "120"))), "true".equals(args.get("indexed-only")));
      ApiClient api = loaded.api();
      Map<String, String> itemToDoc = loaded.itemToDoc();
      data = loaded.data();
      List<Lists> lists = new ArrayList<>();
      for (SciFact.Query q : data.queries()) {
        List<SearchHit> lexical = api.hits(q.text(), SearchMode.SEARCH_MODE_LEXICAL, DEPTH);
        boolean fellBack = !lexical.isEmpty() && lexical.getFirst().getStage() == dev.cairn.search.v1.SearchStage.SEARCH_STAGE_SEMANTIC;
        lists.add(new Lists(data.qrels().get(q.id()),
            fellBack ? List.of() : docs(lexical, itemToDoc),
            docs(api.hits(q.text(), SearchMode.SEARCH_MODE_SEMANTIC, DEPTH), itemToDoc),
            docs(api.hits(q.text(), SearchMode.SEARCH_MODE_HYBRID, DEPTH), itemToDoc)));
      }
      System.out.printf(Locale.ROOT, "%d queries, lists of up to %d items%n", lists.size(), DEPTH);
      report("server LEXICAL", lists, Lists::lexical);
      report("server SEMANTIC", lists, Lists::semantic);
      report("server HYBRID", lists, Lists::hybrid);
      List<Map.Entry<Point, double[]>> grid = new ArrayList<>();
      for (int k : new int[] {1, 5, 10, 20, 30, 40, 60, 80, 100}) {
        for (double wl : new double[] {0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5}) {
          for (int depth : new int[] {10, 20, 50, 100}) {
            Point p = new Point(k, wl, 1.0, depth);
            grid.add(Map.entry(p, score(lists, l -> fuse(l, p))));
          }
        }
      }
      // the server's defaults (k 60, weights 1 and 1, depth 100), replayed offline: should match "server HYBRID"
      double[] defaults = score(lists, l -> fuse(l, new Point(60, 1.0, 1.0, 100)));
      System.out.printf(Locale.ROOT, "offline at the defaults (k 60, weights 1/1, depth 100): nDCG@10 %.4f  Recall@100 %.4f%n",
          defaults[0], defaults[1]);
      grid.sort(Comparator.comparingDouble((Map.Entry<Point, double[]> e) -> -e.getValue()[0]));
      double best = grid.getFirst().getValue()[0];
      for (double within : new double[] {0.002, 0.005, 0.01}) {
        System.out.printf(Locale.ROOT, "points within %.3f of the best nDCG@10: %d of %d%n", within,
            grid.stream().filter(e -> e.getValue()[0] >= best - within).count(), grid.size());
      }
      System.out.println("fusion grid (semantic weight 1), best first:");
      for (var e : grid) {
        Point p = e.getKey();
        System.out.printf(Locale.ROOT, "  k %3d  lexical weight %.1f  depth %3d   nDCG@10 %.4f  Recall@100 %.4f%n",
            p.k(), p.lexicalWeight(), p.depth(), e.getValue()[0], e.getValue()[1]);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  private static List<String> docs(List<SearchHit> hits, Map<String, String> itemToDoc) {
    return hits.stream().map(h -> itemToDoc.getOrDefault(h.getItem(), h.getItem())).toList();
  }

  /** The server's rule (Fusion.fuse): each list cut to {@code depth}, weight / (k + rank) summed. */
  static List<String> fuse(Lists l, Point p) {
    Map<String, Double> score = new LinkedHashMap<>();
    List<String> lexical = l.lexical().subList(0, Math.min(p.depth(), l.lexical().size()));
    List<String> semantic = l.semantic().subList(0, Math.min(p.depth(), l.semantic().size()));
    for (int i = 0; i < lexical.size(); i++) {
      score.merge(lexical.get(i), p.lexicalWeight() / (p.k() + i + 1), Double::sum);
    }
    for (int i = 0; i < semantic.size(); i++) {
      score.merge(semantic.get(i), p.semanticWeight() / (p.k() + i + 1), Double::sum);
    }
    List<String> out = new ArrayList<>(score.keySet());
    out.sort(Comparator.comparingDouble((String d) -> -score.get(d)).thenComparing(d -> d));
    return out;
  }

  private static double[] score(List<Lists> lists, java.util.function.Function<Lists, List<String>> ranking) {
    double ndcg = 0;
    double recall = 0;
    for (Lists l : lists) {
      List<String> r = ranking.apply(l);
      ndcg += Metrics.ndcg(r, l.qrels(), 10);
      recall += Metrics.recall(r, l.qrels(), 100);
    }
    return new double[] {ndcg / lists.size(), recall / lists.size()};
  }

  private static void report(String name, List<Lists> lists, java.util.function.Function<Lists, List<String>> r) {
    double[] s = score(lists, r);
    System.out.printf(Locale.ROOT, "%-16s nDCG@10 %.4f  Recall@100 %.4f%n", name, s[0], s[1]);
  }

  private FusionGrid() {}
}
