package dev.cairn.server.search.ingest;

/**
 * Bounds on what one item may cost to extract. Going over one is a {@link
 * ExtractionException.Reason#TOO_LARGE} failure, not a truncation: a silently partial index would
 * answer "not found" for text the item does contain, while a failure tells the owner why.
 *
 * @param maxInputBytes the largest content read, in bytes
 * @param maxChars the most characters (UTF-16 units) of normalised text extracted
 * @param maxPages the most pages a PDF may have
 */
public record ExtractionSettings(long maxInputBytes, int maxChars, int maxPages) {
  /** 32 MiB of input, 2 million characters (about 500 000 tokens), 2 000 pages. */
  public static ExtractionSettings defaults() {
    return new ExtractionSettings(32L << 20, 2_000_000, 2_000);
  }

  public ExtractionSettings {
    if (maxInputBytes < 1 || maxInputBytes > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          "maxInputBytes: " + maxInputBytes + " (expected: 1.." + (Integer.MAX_VALUE - 16) + ")");
    }
    if (maxChars < 1) {
      throw new IllegalArgumentException("maxChars: " + maxChars + " (expected: 1 or more)");
    }
    if (maxPages < 1) {
      throw new IllegalArgumentException("maxPages: " + maxPages + " (expected: 1 or more)");
    }
  }
}
