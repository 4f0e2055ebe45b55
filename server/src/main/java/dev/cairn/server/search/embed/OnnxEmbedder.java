package dev.cairn.server.search.embed;

import static java.util.Objects.requireNonNull;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Embedder} running a shipped ONNX model in process with ONNX Runtime. Passages are
 * tokenized, sorted by length and cut into batches, so that each model call pads only to the
 * longest passage of similar ones; results come back in the caller's order. One session serves
 * concurrent callers (ONNX Runtime sessions are thread-safe).
 */
public final class OnnxEmbedder implements Embedder {
  private static final Logger log = LoggerFactory.getLogger(OnnxEmbedder.class);

  /**
   * Characters of a text the tokenizer is given at most: 64 per token of the window, far more
   * than any real text needs for its first maxTokens tokens (English averages 4-5 characters a
   * token), while a multi-megabyte string cannot keep the tokenizer busy.
   */
  static final int CHARS_PER_TOKEN_CAP = 64;

  private final EmbedderSettings settings;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final ModelTokenizer tokenizer;
  private final boolean takesTokenTypes;
  private final String outputName;
  private final int dimensions;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private OnnxEmbedder(
      EmbedderSettings settings, OrtEnvironment env, OrtSession session, ModelTokenizer tokenizer)
      throws OrtException {
    this.settings = settings;
    this.env = env;
    this.session = session;
    this.tokenizer = tokenizer;
    this.takesTokenTypes = session.getInputNames().contains("token_type_ids");
    this.outputName = session.getOutputNames().iterator().next();
    NodeInfo output = session.getOutputInfo().get(outputName);
    long[] shape = ((TensorInfo) output.getInfo()).getShape();
    this.dimensions = Math.toIntExact(shape[shape.length - 1]);
  }

  /** Loads the model and its tokenizer from the classpath; takes a second or two. */
  public static OnnxEmbedder open(EmbedderSettings settings) {
    requireNonNull(settings, "settings");
    long started = System.nanoTime();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] model = Resources.bytes(settings.model().modelResource());
    ModelTokenizer tokenizer = ModelTokenizer.load(settings.model(), settings.maxTokens());
    @Nullable OrtSession session = null;
    try (OrtSession.SessionOptions options = sessionOptions(settings)) {
      session = env.createSession(model, options);
      OnnxEmbedder embedder = new OnnxEmbedder(settings, env, session, tokenizer);
      log.info(
          "embedding model {} loaded in {} ms: {} dimensions, {} token window, batches of {}, {} threads",
          settings.model().id(),
          (System.nanoTime() - started) / 1_000_000,
          embedder.dimensions,
          settings.maxTokens(),
          settings.batchSize(),
          settings.intraOpThreads() == 0 ? "auto" : settings.intraOpThreads());
      return embedder;
    } catch (OrtException | RuntimeException e) {
      tokenizer.close();
      closeQuietly(session);
      throw new EmbeddingException("cannot load model " + settings.model().id(), false, e);
    }
  }

  /** The session options both the embedder and its benchmark baseline use. */
  static OrtSession.SessionOptions sessionOptions(EmbedderSettings settings) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    options.setInterOpNumThreads(1);
    if (settings.intraOpThreads() > 0) {
      options.setIntraOpNumThreads(settings.intraOpThreads());
    }
    // Idle worker threads would otherwise spin between calls, taking CPU from gRPC and PostgreSQL.
    options.addConfigEntry("session.intra_op.allow_spinning", "0");
    return options;
  }

  @Override
  public float[][] embedPassages(List<String> passages) {
    List<String> cleaned = Inputs.passages(passages, maxChars());
    if (cleaned.isEmpty()) {
      return new float[0][];
    }
    return whileOpen(() -> embedAll(cleaned));
  }

  @Override
  public float[] embedQuery(String query) {
    String cleaned = Inputs.text("query", query, maxChars());
    return whileOpen(() -> embedAll(List.of(settings.model().queryPrefix() + cleaned)))[0];
  }

  @Override
  public int dimensions() {
    return dimensions;
  }

  @Override
  public String modelId() {
    return settings.model().id();
  }

  @Override
  public int maxTokens() {
    return settings.maxTokens();
  }

  @Override
  public int countTokens(String text) {
    requireNonNull(text, "text");
    return whileOpen(() -> tokenizer.count(text));
  }

  public EmbedderSettings settings() {
    return settings;
  }

  private int maxChars() {
    return settings.maxTokens() * CHARS_PER_TOKEN_CAP;
  }

  /**
   * Tokenizes and runs the texts a window at a time (16 batches' worth): sorting within a window
   * removes most padding, and a caller's 100,000 passages never sit tokenized in memory at once.
   */
  private float[][] embedAll(List<String> texts) {
    float[][] vectors = new float[texts.size()][];
    int window = settings.batchSize() * 16;
    for (int from = 0; from < texts.size(); from += window) {
      List<String> slice = texts.subList(from, Math.min(texts.size(), from + window));
      float[][] sliceVectors = embedWindow(slice, from);
      System.arraycopy(sliceVectors, 0, vectors, from, sliceVectors.length);
    }
    return vectors;
  }

  private float[][] embedWindow(List<String> texts, int offset) {
    List<Encoding> encodings = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      encodings.add(encode(texts.get(i), offset + i));
    }
    float[][] vectors = new float[texts.size()][];
    for (int[] batch : batchesByLength(encodings, settings.batchSize())) {
      List<Encoding> members = new ArrayList<>(batch.length);
      for (int index : batch) {
        members.add(encodings.get(index));
      }
      float[][] batchVectors = run(TokenBatch.of(members));
      for (int i = 0; i < batch.length; i++) {
        vectors[batch[i]] = batchVectors[i];
      }
    }
    return vectors;
  }

  private Encoding encode(String text, int index) {
    try {
      return tokenizer.encode(text);
    } catch (RuntimeException e) {
      throw new EmbeddingException("the tokenizer of " + modelId() + " failed on passages[" + index + "]", false, e);
    }
  }

  /**
   * What one model call costs beyond its tokens, in tokens' worth of model time (graph dispatch,
   * tensors in and out, pooling). An estimate, not yet measured: a call's fixed cost is small beside
   * one 256-token row, and 32 errs towards fewer calls.
   */
  static final int CALL_COST_TOKENS = 32;

  /**
   * Indexes into {@code encodings}, longest first, cut into batches of at most {@code size}: where
   * the cuts go is chosen so that the tokens the model runs (each batch pads every row to its
   * longest) plus {@link #CALL_COST_TOKENS} per call are fewest. Cutting every {@code size} rows
   * padded a two-passage item's short second chunk to its first's 256 tokens (the ingestion batcher's
   * calls averaged 7.6 passages, about half of them such remainders); a cut where lengths fall costs one call.
   * Over length-sorted rows the best cuts are found exactly by dynamic programming (n x size).
   */
  static List<int[]> batchesByLength(List<Encoding> encodings, int size) {
    int n = encodings.size();
    Integer[] order = new Integer[n];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingInt((Integer i) -> encodings.get(i).getIds().length).reversed());
    // best[k]: least cost of the first k rows; cut[k]: where the last batch of that best starts
    long[] best = new long[n + 1];
    int[] cut = new int[n + 1];
    for (int k = 1; k <= n; k++) {
      best[k] = Long.MAX_VALUE;
      for (int from = Math.max(0, k - size); from < k; from++) {
        // rows from..k-1 padded to row from's length, the longest of them
        long cost = best[from] + (long) (k - from) * encodings.get(order[from]).getIds().length + CALL_COST_TOKENS;
        if (cost < best[k]) {
          best[k] = cost;
          cut[k] = from;
        }
      }
    }
    List<int[]> batches = new ArrayList<>();
    for (int to = n; to > 0; to = cut[to]) {
      int from = cut[to];
      int[] batch = new int[to - from];
      for (int i = from; i < to; i++) {
        batch[i - from] = order[i];
      }
      batches.add(batch);
    }
    java.util.Collections.reverse(batches);
    return batches;
  }

  private float[][] run(TokenBatch batch) {
    long[] shape = {batch.rows(), batch.seqLen()};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.ids()), shape));
      inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.mask()), shape));
      if (takesTokenTypes) {
        inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(batch.typeIds()), shape));
      }
      try (OrtSession.Result result = session.run(inputs)) {
        OnnxTensor hidden = (OnnxTensor) result.get(outputName).orElseThrow();
        return pool(hidden.getFloatBuffer(), batch);
      }
    } catch (OrtException e) {
      throw new EmbeddingException(
          "model " + modelId() + " failed on a batch of " + batch.rows() + " x " + batch.seqLen() + " tokens",
          false,
          e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private float[][] pool(FloatBuffer hidden, TokenBatch batch) {
    float[][] out = new float[batch.rows()][];
    for (int r = 0; r < batch.rows(); r++) {
      float[] v = settings.model().pooling().pool(hidden, r, batch.seqLen(), dimensions, batch.mask());
      out[r] = Vectors.normalise(v, "model " + modelId());
    }
    return out;
  }

  /** Package-private for the benchmark: the tokenizer the embedder uses. */
  Encoding encodeForBenchmark(String text) {
    return tokenizer.encode(text);
  }

  private <T> T whileOpen(Supplier<T> work) {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("embedder " + modelId() + " is closed");
      }
      return work.get();
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      closeQuietly(session);
      tokenizer.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  private static void closeQuietly(@Nullable OrtSession session) {
    if (session == null) {
      return;
    }
    try {
      session.close();
    } catch (OrtException e) {
      log.warn("closing the ONNX session failed", e);
    }
  }
}
