package dev.cairn.server.search.embed;

import java.util.List;

/**
 * Turns text into L2-normalised vectors whose dot product is their cosine similarity. Passages
 * (indexed chunks) and queries are embedded separately because some models (bge) are asked a
 * query with an instruction prefix that passages do not get.
 *
 * <p>Implementations are thread-safe. Bad input (a blank text) fails with an {@code
 * INVALID_ARGUMENT} {@link dev.cairn.server.core.CairnException}; a model or remote failure with
 * an {@link EmbeddingException}.
 */
public interface Embedder extends AutoCloseable {

  /**
   * One vector per passage, in the order given; an empty list gives an empty array. A passage
   * longer than {@link #maxTokens()} is embedded from its first {@code maxTokens()} tokens.
   */
  float[][] embedPassages(List<String> passages);

  /** The vector of a search query, comparable with those of {@link #embedPassages}. */
  float[] embedQuery(String query);

  /** Length of every vector this embedder returns. */
  int dimensions();

  /** Names the model, so that an index built by another model is recognised as stale. */
  String modelId();

  /** The most tokens of a passage the model reads, counted as {@link #countTokens} does. */
  int maxTokens();

  /**
   * Tokens of {@code text} as the model would see them as a passage (special tokens included,
   * not truncated): a chunker keeps {@code countTokens(chunk) <= maxTokens()}. Fits {@link
   * TokenCounter} as a method reference: {@code embedder::countTokens}.
   */
  int countTokens(String text);

  /** Frees the model; calls after this fail with {@link IllegalStateException}. */
  @Override
  void close();
}
