package dev.cairn.server.search.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.cairn.server.search.vector.SciFact;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Passages per second of {@link OnnxEmbedder#embedPassages} against the raw model: a bare ONNX
 * Runtime session with the same options running the same batches, already tokenized and padded
 * (so the ratio is what tokenizing, sorting, pooling and normalising cost). Rounds alternate
 * between the two; medians are printed. Run by tools/bench/embed.sh.
 *
 * <p>Arguments: {@code <model id> <dataset dir> <passages> <rounds> <batch size> <threads>}.
 */
public final class EmbedBench {
  private EmbedBench() {}

  public static void main(String[] args) throws Exception {
    OnnxModel model = OnnxModel.byId(args[0]);
    SciFact data = SciFact.load(Path.of(args[1]));
    int passages = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    EmbedderSettings settings = EmbedderSettings.defaults(model)
        .withBatchSize(Integer.parseInt(args[4]))
        .withIntraOpThreads(Integer.parseInt(args[5]));
    List<String> texts = data.corpus().values().stream().limit(passages).toList();

    try (OnnxEmbedder embedder = OnnxEmbedder.open(settings);
        OrtSession.SessionOptions options = OnnxEmbedder.sessionOptions(settings);
        OrtSession raw = OrtEnvironment.getEnvironment()
            .createSession(Resources.bytes(model.modelResource()), options)) {
      List<TokenBatch> batches = rawBatches(embedder, texts, settings.batchSize());
      long tokens = batches.stream().mapToLong(b -> Arrays.stream(b.mask()).sum()).sum();
      long padded = batches.stream().mapToLong(b -> (long) b.rows() * b.seqLen()).sum();
      System.out.printf("%s: %d SciFact passages, %d tokens (%.1f%% padding), batch %d, threads %s, %d rounds%n",
          model.id(), texts.size(), tokens, 100.0 * (padded - tokens) / padded, settings.batchSize(),
          settings.intraOpThreads() == 0 ? "auto" : settings.intraOpThreads(), rounds);

      embedder.embedPassages(texts.subList(0, Math.min(64, texts.size()))); // warm-up
      runRaw(raw, rawBatches(embedder, texts.subList(0, Math.min(64, texts.size())), settings.batchSize()));

      double[] ours = new double[rounds];
      double[] baseline = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        embedder.embedPassages(texts);
        ours[r] = texts.size() / ((System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        runRaw(raw, batches);
        baseline[r] = texts.size() / ((System.nanoTime() - t1) / 1e9);
        System.out.printf("  round %d: OnnxEmbedder %.1f passages/s, raw session %.1f passages/s%n",
            r + 1, ours[r], baseline[r]);
      }
      double a = median(ours);
      double b = median(baseline);
      System.out.printf("median: OnnxEmbedder %.1f passages/s, raw ONNX Runtime %.1f passages/s, ratio %.3f%n",
          a, b, a / b);
    }
  }

  /** The batches the embedder would run, tokenized once up front for the baseline. */
  private static List<TokenBatch> rawBatches(OnnxEmbedder embedder, List<String> texts, int size) {
    List<Encoding> encodings = texts.stream().map(embedder::encodeForBenchmark).toList();
    List<TokenBatch> batches = new ArrayList<>();
    for (int[] batch : OnnxEmbedder.batchesByLength(encodings, size)) {
      batches.add(TokenBatch.of(Arrays.stream(batch).mapToObj(encodings::get).toList()));
    }
    return batches;
  }

  private static void runRaw(OrtSession session, List<TokenBatch> batches) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (TokenBatch batch : batches) {
      long[] shape = {batch.rows(), batch.seqLen()};
      Map<String, OnnxTensor> inputs = new HashMap<>();
      inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.ids()), shape));
      inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.mask()), shape));
      inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.typeIds()), shape));
      try (OrtSession.Result result = session.run(inputs)) {
        result.get(0);
      } finally {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
