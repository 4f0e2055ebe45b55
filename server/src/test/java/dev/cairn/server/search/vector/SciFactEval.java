package dev.cairn.server.search.vector;

import dev.cairn.server.search.embed.EmbedderSettings;
import dev.cairn.server.search.embed.OnnxEmbedder;
import dev.cairn.server.search.embed.OnnxModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * Semantic retrieval quality on SciFact's train split: embeds the corpus with one shipped model,
 * indexes it in a {@link VectorIndex}, searches every judged train query and prints nDCG@10 and
 * Recall@100 (BEIR definitions), for the HNSW search and for an exact scan of the same vectors,
 * plus the model's passages per second. Run by tools/eval/scifact.sh.
 *
 * <p>Arguments: {@code <model id> <dataset dir> [batch size] [intra-op threads]}.
 */
public final class SciFactEval {
  private SciFactEval() {}

  public static void main(String[] args) throws Exception {
    OnnxModel model = OnnxModel.byId(args[0]);
    SciFact data = SciFact.load(Path.of(args[1]));
    EmbedderSettings settings = EmbedderSettings.defaults(model);
    if (args.length > 2) {
      settings = settings.withBatchSize(Integer.parseInt(args[2]));
    }
    if (args.length > 3) {
      settings = settings.withIntraOpThreads(Integer.parseInt(args[3]));
    }
    System.out.printf("SciFact train: %d documents, %d judged queries, %d judgments%n",
        data.corpus().size(), data.queries().size(),
        data.qrels().values().stream().mapToInt(Map::size).sum());

    Path dir = Files.createTempDirectory("cairn-scifact-eval");
    UUID owner = UUID.randomUUID();
    try (OnnxEmbedder embedder = OnnxEmbedder.open(settings);
        VectorIndex index = VectorIndex.open(dir, embedder.modelId(), embedder.dimensions())) {
      List<String> ids = new ArrayList<>(data.corpus().keySet());
      List<String> texts = ids.stream().map(data.corpus()::get).toList();
      long started = System.nanoTime();
      float[][] vectors = embedInSlices(embedder, texts);
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("corpus embedded: %d passages in %.1f s = %.1f passages/s (batch %d, threads %s)%n",
          texts.size(), seconds, texts.size() / seconds, settings.batchSize(),
          settings.intraOpThreads() == 0 ? "auto" : settings.intraOpThreads());

      Map<UUID, String> docOfItem = new HashMap<>();
      List<IndexChange> upserts = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        UUID item = UUID.nameUUIDFromBytes(ids.get(i).getBytes(StandardCharsets.UTF_8));
        docOfItem.put(item, ids.get(i));
        upserts.add(new IndexChange.Upsert(UUID.randomUUID(), owner, item, vectors[i]));
      }
      long indexing = System.nanoTime();
      index.apply(upserts, 1);
      System.out.printf("indexed in %.1f s%n", (System.nanoTime() - indexing) / 1e9);

      double[] hnsw = new double[2];
      double[] exact = new double[2];
      long querying = System.nanoTime();
      for (Map.Entry<String, String> query : data.queries().entrySet()) {
        Map<String, Integer> relevant = data.qrels().get(query.getKey());
        float[] q = embedder.embedQuery(query.getValue());
        List<String> ranked = index.search(q, 100, ReadFilter.owners(owner)).stream()
            .map(h -> docOfItem.get(h.itemId())).toList();
        List<String> scanned = exactTop(q, vectors, ids, 100);
        hnsw[0] += SciFact.ndcg(ranked, relevant, 10);
        hnsw[1] += SciFact.recall(ranked, relevant, 100);
        exact[0] += SciFact.ndcg(scanned, relevant, 10);
        exact[1] += SciFact.recall(scanned, relevant, 100);
      }
      int n = data.queries().size();
      System.out.printf("queries embedded and searched in %.1f s%n", (System.nanoTime() - querying) / 1e9);
      System.out.printf("%s  HNSW:  nDCG@10 %.4f  Recall@100 %.4f%n", model.id(), hnsw[0] / n, hnsw[1] / n);
      System.out.printf("%s  exact: nDCG@10 %.4f  Recall@100 %.4f%n", model.id(), exact[0] / n, exact[1] / n);
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The corpus in slices of 512, so progress shows and no one call holds the whole set. */
  static float[][] embedInSlices(OnnxEmbedder embedder, List<String> texts) {
    float[][] out = new float[texts.size()][];
    for (int from = 0; from < texts.size(); from += 512) {
      int to = Math.min(texts.size(), from + 512);
      float[][] slice = embedder.embedPassages(texts.subList(from, to));
      System.arraycopy(slice, 0, out, from, slice.length);
      System.out.printf("  %d/%d%n", to, texts.size());
    }
    return out;
  }

  private static List<String> exactTop(float[] q, float[][] vectors, List<String> ids, int k) {
    double[] scores = new double[vectors.length];
    for (int i = 0; i < vectors.length; i++) {
      double dot = 0;
      for (int d = 0; d < q.length; d++) {
        dot += q[d] * vectors[i][d];
      }
      scores[i] = dot;
    }
    return IntStream.range(0, vectors.length).boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -scores[i]))
        .limit(k).map(ids::get).toList();
  }
}
