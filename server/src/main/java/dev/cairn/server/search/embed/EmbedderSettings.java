package dev.cairn.server.search.embed;

import static java.util.Objects.requireNonNull;

/**
 * How the in-process embedder runs its model.
 *
 * @param model which shipped model
 * @param batchSize passages per model call; larger batches amortise call overhead, but a batch
 *     of long passages holds batchSize x 512 x 512 attention scores per head in native memory
 * @param intraOpThreads ONNX Runtime threads per call; 0 lets ONNX Runtime choose (one per core)
 * @param maxTokens tokens of a passage the model reads (the rest is cut)
 */
public record EmbedderSettings(OnnxModel model, int batchSize, int intraOpThreads, int maxTokens) {
  public static final int MAX_BATCH_SIZE = 256;
  public static final int MAX_THREADS = 64;

  public EmbedderSettings {
    requireNonNull(model, "model");
    if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException(
          "batchSize: " + batchSize + " (expected: 1.." + MAX_BATCH_SIZE + ")");
    }
    if (intraOpThreads < 0 || intraOpThreads > MAX_THREADS) {
      throw new IllegalArgumentException(
          "intraOpThreads: " + intraOpThreads + " (expected: 0.." + MAX_THREADS + ", 0 = one per core)");
    }
    if (maxTokens < 8 || maxTokens > OnnxModel.POSITION_LIMIT) {
      throw new IllegalArgumentException(
          "maxTokens: " + maxTokens + " (expected: 8.." + OnnxModel.POSITION_LIMIT + ")");
    }
  }

  /**
   * The default model, bge-small-en-v1.5: nDCG@10 0.745 on SciFact's train split against
   * all-MiniLM-L6-v2's 0.653 (tools/eval/scifact.sh), at about 2.5 times MiniLM's cost.
   */
  public static EmbedderSettings defaults() {
    return defaults(OnnxModel.BGE_SMALL_EN_V15_Q);
  }

  /** The model with its own token window, batches of 16 and ONNX Runtime's thread choice. */
  public static EmbedderSettings defaults(OnnxModel model) {
    return new EmbedderSettings(model, 16, 0, model.defaultMaxTokens());
  }

  public EmbedderSettings withBatchSize(int batchSize) {
    return new EmbedderSettings(model, batchSize, intraOpThreads, maxTokens);
  }

  public EmbedderSettings withIntraOpThreads(int intraOpThreads) {
    return new EmbedderSettings(model, batchSize, intraOpThreads, maxTokens);
  }

  public EmbedderSettings withMaxTokens(int maxTokens) {
    return new EmbedderSettings(model, batchSize, intraOpThreads, maxTokens);
  }
}
