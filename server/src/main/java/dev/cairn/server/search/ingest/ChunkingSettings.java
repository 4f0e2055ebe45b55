package dev.cairn.server.search.ingest;

/**
 * How items are cut into chunks.
 *
 * @param maxTokens the most tokens of a chunk's text (by the {@link TokenCounter})
 * @param overlapTokens the most tokens of whole sentences a chunk repeats from the one before it in
 *     the same section
 * @param maxChunksPerItem beyond this an item is refused as {@code TOO_LARGE}
 */
public record ChunkingSettings(int maxTokens, int overlapTokens, int maxChunksPerItem) {
  /**
   * 256 tokens with 32 of overlap, at most 10 000 chunks. bge-small-en-v1.5 reads 512 tokens with
   * its [CLS] and [SEP]; 256 leaves room for the heading path that {@link Chunk#embeddingText()}
   * puts in front, and keeps a chunk the size of a passage worth citing (a paragraph or two, about
   * 190 words) rather than a page whose vector averages several topics. 32 tokens is one or two
   * sentences: enough that a sentence cut from its context still arrives with it.
   */
  public static ChunkingSettings defaults() {
    return new ChunkingSettings(256, 32, 10_000);
  }

  public ChunkingSettings {
    if (maxTokens < 16 || maxTokens > 8192) {
      throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: 16..8192)");
    }
    if (overlapTokens < 0 || overlapTokens > maxTokens / 2) {
      throw new IllegalArgumentException(
          "overlapTokens: " + overlapTokens + " (expected: 0.." + maxTokens / 2 + ", at most half of maxTokens)");
    }
    if (maxChunksPerItem < 1 || maxChunksPerItem > 1_000_000) {
      throw new IllegalArgumentException("maxChunksPerItem: " + maxChunksPerItem + " (expected: 1..1000000)");
    }
  }
}
