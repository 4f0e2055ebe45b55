package dev.cairn.tools.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BEIR's measures, as pytrec_eval computes them: nDCG@k with graded gains (the qrel score), a
 * log2(rank + 1) discount and the ideal DCG from the query's own qrels; Recall@k is relevant
 * documents in the top k over relevant documents (score &gt; 0). A ranking is deduplicated first
 * (a document counts at its best rank only).
 */
final class Metrics {
  private Metrics() {}

  static double ndcg(List<String> ranking, Map<String, Integer> qrels, int k) {
    List<String> ranked = dedupe(ranking);
    double dcg = 0;
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      dcg += qrels.getOrDefault(ranked.get(i), 0) / log2(i + 2);
    }
    int[] ideal = qrels.values().stream().mapToInt(Integer::intValue).filter(g -> g > 0).toArray();
    Arrays.sort(ideal);
    double idcg = 0;
    for (int i = 0; i < Math.min(k, ideal.length); i++) {
      idcg += ideal[ideal.length - 1 - i] / log2(i + 2);
    }
    return idcg == 0 ? 0 : dcg / idcg;
  }

  static double recall(List<String> ranking, Map<String, Integer> qrels, int k) {
    long relevant = qrels.values().stream().filter(g -> g > 0).count();
    if (relevant == 0) {
      return 0;
    }
    List<String> ranked = dedupe(ranking);
    long found = ranked.subList(0, Math.min(k, ranked.size())).stream().filter(d -> qrels.getOrDefault(d, 0) > 0).count();
    return (double) found / relevant;
  }

  /** The {@code q}-quantile (0..1) of {@code values} by the nearest-rank method; 0 when empty. */
  static double quantile(List<Double> values, double q) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int rank = (int) Math.ceil(q * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  private static List<String> dedupe(List<String> ranking) {
    Set<String> seen = new LinkedHashSet<>(ranking);
    return List.copyOf(seen);
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
