package dev.cairn.server.search;

/**
 * How lexical search ranks and bounds its work.
 *
 * @param k1 BM25 term-frequency saturation
 * @param b BM25 length normalisation (0: none, 1: full)
 * @param maxCandidates the most matching chunks one stage ranks (GIN-retrieved, then scored)
 * @param maxQueryTerms the most distinct words a query may have after stemming
 * @param snippetCodePoints the longest snippet, in code points
 */
public record SearchSettings(double k1, double b, int maxCandidates, int maxQueryTerms, int snippetCodePoints) {
  /** Anserini's BM25 defaults (k1 0.9, b 0.4), 1 000 candidates, 32 terms, 300-code-point snippets. */
  public static SearchSettings defaults() {
    return new SearchSettings(0.9, 0.4, 1000, 32, 300);
  }

  public SearchSettings {
    if (!(k1 >= 0 && k1 <= 10)) {
      throw new IllegalArgumentException("k1: " + k1 + " (expected: 0..10)");
    }
    if (!(b >= 0 && b <= 1)) {
      throw new IllegalArgumentException("b: " + b + " (expected: 0..1)");
    }
    if (maxCandidates < 10 || maxCandidates > 100_000) {
      throw new IllegalArgumentException("maxCandidates: " + maxCandidates + " (expected: 10..100000)");
    }
    if (maxQueryTerms < 1 || maxQueryTerms > 256) {
      throw new IllegalArgumentException("maxQueryTerms: " + maxQueryTerms + " (expected: 1..256)");
    }
    if (snippetCodePoints < 40 || snippetCodePoints > 2000) {
      throw new IllegalArgumentException("snippetCodePoints: " + snippetCodePoints + " (expected: 40..2000)");
    }
  }
}
