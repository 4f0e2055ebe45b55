package dev.cairn.server.search.vector;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SciFact retrieval set in BEIR layout (corpus.jsonl, queries-train.jsonl, qrels-train.tsv),
 * read for the evaluation and the embedding benchmark.
 *
 * @param corpus document id to "title text", as BEIR feeds dense models
 * @param queries query id to text, only those with judgments
 * @param qrels query id to (document id to graded relevance), relevance above 0 only
 */
public record SciFact(Map<String, String> corpus, Map<String, String> queries, Map<String, Map<String, Integer>> qrels) {

  public static SciFact load(Path dir) throws IOException {
    Map<String, String> corpus = new LinkedHashMap<>();
    for (String line : Files.readAllLines(dir.resolve("corpus.jsonl"))) {
      if (line.isBlank()) {
        continue;
      }
      JsonObject doc = JsonParser.parseString(line).getAsJsonObject();
      String title = doc.get("title").getAsString();
      String text = doc.get("text").getAsString();
      corpus.put(doc.get("_id").getAsString(), (title + " " + text).strip());
    }
    Map<String, Map<String, Integer>> qrels = new HashMap<>();
    List<String> lines = Files.readAllLines(dir.resolve("qrels-train.tsv"));
    for (String line : lines.subList(1, lines.size())) { // header: query-id corpus-id score
      String[] f = line.split("\t");
      int score = Integer.parseInt(f[2].trim());
      if (score > 0) {
        qrels.computeIfAbsent(f[0], q -> new HashMap<>()).put(f[1], score);
      }
    }
    Map<String, String> queries = new LinkedHashMap<>();
    for (String line : Files.readAllLines(dir.resolve("queries-train.jsonl"))) {
      if (line.isBlank()) {
        continue;
      }
      JsonObject q = JsonParser.parseString(line).getAsJsonObject();
      String id = q.get("_id").getAsString();
      if (qrels.containsKey(id)) {
        queries.put(id, q.get("text").getAsString());
      }
    }
    return new SciFact(corpus, queries, qrels);
  }

  /** BEIR's nDCG@k (pytrec_eval's ndcg_cut: linear gain, log2 discount, ideal from qrels). */
  public static double ndcg(List<String> ranked, Map<String, Integer> relevant, int k) {
    double dcg = 0;
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      dcg += relevant.getOrDefault(ranked.get(i), 0) / log2(i + 2);
    }
    List<Integer> ideal = relevant.values().stream().sorted((a, b) -> b - a).limit(k).toList();
    double idcg = 0;
    for (int i = 0; i < ideal.size(); i++) {
      idcg += ideal.get(i) / log2(i + 2);
    }
    return idcg == 0 ? 0 : dcg / idcg;
  }

  /** Relevant documents among the first k, over all relevant documents. */
  public static double recall(List<String> ranked, Map<String, Integer> relevant, int k) {
    long found = ranked.stream().limit(k).filter(relevant::containsKey).count();
    return relevant.isEmpty() ? 0 : (double) found / relevant.size();
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
