package dev.cairn.server.search.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * A model's tokenizer (HuggingFace tokenizers through DJL, from the tokenizer.json shipped with
 * the model), twice: once cutting at the model's window for embedding, once uncut for counting.
 * Padding is left to the batcher, which pads each batch only to its longest passage.
 */
final class ModelTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer truncating;
  private final HuggingFaceTokenizer counting;

  private ModelTokenizer(HuggingFaceTokenizer truncating, HuggingFaceTokenizer counting) {
    this.truncating = truncating;
    this.counting = counting;
  }

  static ModelTokenizer load(OnnxModel model, int maxTokens) {
    byte[] json = Resources.bytes(model.tokenizerResource());
    HuggingFaceTokenizer truncating = open(json, Map.of(
        "truncation", "true", "maxLength", Integer.toString(maxTokens), "padding", "false"));
    try {
      return new ModelTokenizer(
          truncating, open(json, Map.of("truncation", "false", "padding", "false")));
    } catch (RuntimeException e) {
      truncating.close();
      throw e;
    }
  }

  private static HuggingFaceTokenizer open(byte[] json, Map<String, String> options) {
    try (InputStream in = new java.io.ByteArrayInputStream(json)) {
      return HuggingFaceTokenizer.newInstance(in, options);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Token ids and type ids of one passage, cut at the window; the mask is all ones. */
  Encoding encode(String text) {
    return truncating.encode(text);
  }

  int count(String text) {
    return counting.encode(text).getIds().length;
  }

  @Override
  public void close() {
    truncating.close();
    counting.close();
  }
}
