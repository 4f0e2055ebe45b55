package dev.cairn.server.search.ingest;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The real bge-small-en-v1.5 WordPiece tokenizer as a {@link TokenCounter}: DJL's HuggingFace
 * tokenizer loading the tokenizer.json that ships in langchain4j's bge-small-en-v1.5-q artifact
 * (offline, no hub). One instance for all tests: loading it costs a few hundred milliseconds.
 */
final class BgeTokens implements TokenCounter {
  static final BgeTokens INSTANCE = new BgeTokens();

  private final HuggingFaceTokenizer tokenizer;

  private BgeTokens() {
    try (InputStream json = BgeTokens.class.getResourceAsStream("/bge-small-en-v1.5-q-tokenizer.json")) {
      if (json == null) {
        throw new IllegalStateException("bge-small-en-v1.5-q-tokenizer.json is not on the test class path");
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
