package dev.cairn.server.search.embed;

/**
 * The embedding models shipped on the classpath, each an ONNX file and its tokenizer.json inside
 * a langchain4j Maven artifact (used only for those resources), and how each is meant to be run.
 */
public enum OnnxModel {
  /**
   * BAAI bge-small-en-v1.5, int8-quantized: CLS pooling, and queries (not passages) get the
   * instruction prefix its authors recommend for retrieval.
   */
  BGE_SMALL_EN_V15_Q(
      "bge-small-en-v1.5-q",
      "bge-small-en-v1.5-q.onnx",
      "bge-small-en-v1.5-q-tokenizer.json",
      Pooling.CLS,
      "Represent this sentence for searching relevant passages: ",
      512),

  /**
   * sentence-transformers all-MiniLM-L6-v2, int8-quantized: mean pooling over the attention
   * mask, no query prefix. Default window 256 tokens, as sentence-transformers runs it (it was
   * trained on 128; its position table allows 512).
   */
  ALL_MINILM_L6_V2_Q(
      "all-minilm-l6-v2-q",
      "all-minilm-l6-v2-q.onnx",
      "all-minilm-l6-v2-q-tokenizer.json",
      Pooling.MEAN,
      "",
      256);

  /** Both models are BERT encoders with 512 position embeddings. */
  static final int POSITION_LIMIT = 512;

  private final String id;
  private final String modelResource;
  private final String tokenizerResource;
  private final Pooling pooling;
  private final String queryPrefix;
  private final int defaultMaxTokens;

  OnnxModel(
      String id,
      String modelResource,
      String tokenizerResource,
      Pooling pooling,
      String queryPrefix,
      int defaultMaxTokens) {
    this.id = id;
    this.modelResource = modelResource;
    this.tokenizerResource = tokenizerResource;
    this.pooling = pooling;
    this.queryPrefix = queryPrefix;
    this.defaultMaxTokens = defaultMaxTokens;
  }

  public String id() {
    return id;
  }

  public int defaultMaxTokens() {
    return defaultMaxTokens;
  }

  String modelResource() {
    return modelResource;
  }

  String tokenizerResource() {
    return tokenizerResource;
  }

  Pooling pooling() {
    return pooling;
  }

  String queryPrefix() {
    return queryPrefix;
  }

  /** The model named {@code id} (as in {@link #id()}), e.g. from configuration. */
  public static OnnxModel byId(String id) {
    for (OnnxModel model : values()) {
      if (model.id.equals(id)) {
        return model;
      }
    }
    throw new IllegalArgumentException(
        "model: " + id + " (expected: bge-small-en-v1.5-q or all-minilm-l6-v2-q)");
  }
}
