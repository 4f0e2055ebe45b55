package dev.cairn.server.search;

/**
 * How search ranks and bounds its work.
 *
 * @param k1 BM25 term-frequency saturation
 * @param b BM25 length normalisation (0: none, 1: full)
 * @param maxCandidates the most matching chunks a phrase, exclusion or prefix query ranks (GIN-retrieved, then scored; plain words score every match from their postings)
 * @param maxQueryTerms the most distinct words a query may have after stemming
 * @param snippetCodePoints the longest snippet, in code points
 * @param semanticCandidates chunks the vector index returns per query (the semantic list, before
 *     each item's best chunk is kept); also how many items of the lexical list HYBRID fuses
 * @param rrfK reciprocal rank fusion's k: score = sum of weight / (k + rank) over the lists
 * @param lexicalWeight the lexical list's weight in the fusion
 * @param semanticWeight the semantic list's weight in the fusion
 * @param fallbackMinSimilarity the least cosine similarity a hit of the semantic fallback (after a
 *     lexical ladder found nothing) needs: below it, nothing is relevant and the answer is empty
 * @param fusionDepth how many items of each list (lexical, semantic) HYBRID fuses, from the top
 * @param queryCacheEntries query vectors kept per replica (each user's own; 0: none)
 * @param queryCacheTtl how long a query vector is kept
 */
public record SearchSettings(double k1, double b, int maxCandidates, int maxQueryTerms, int snippetCodePoints,
    int semanticCandidates, int rrfK, double lexicalWeight, double semanticWeight, double fallbackMinSimilarity,
    int fusionDepth, int queryCacheEntries, java.time.Duration queryCacheTtl) {
  /**
   * Anserini's BM25 defaults (k1 0.9, b 0.4), 1 000 candidates, 32 terms, 300-code-point
   * snippets; 100 semantic candidates, RRF k 60 (Cormack et al.) with equal weights, fallback hits
   * from a cosine of 0.6 (bge-small, SemanticSearchTest's texts: unrelated query-passage pairs
   * 0.25-0.49, related ones 0.68-0.77).
   */
  public static SearchSettings defaults() {
    return new SearchSettings(0.9, 0.4, 1000, 32, 300, 100, 60, 1.0, 1.0, 0.6, 100, 10_000,
        java.time.Duration.ofMinutes(10));
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
    if (semanticCandidates < 10 || semanticCandidates > 1000) {
      throw new IllegalArgumentException("semanticCandidates: " + semanticCandidates + " (expected: 10..1000)");
    }
    if (rrfK < 1 || rrfK > 1000) {
      throw new IllegalArgumentException("rrfK: " + rrfK + " (expected: 1..1000)");
    }
    if (!(lexicalWeight >= 0 && lexicalWeight <= 10) || !(semanticWeight >= 0 && semanticWeight <= 10)
        || lexicalWeight + semanticWeight == 0) {
      throw new IllegalArgumentException("weights: " + lexicalWeight + ", " + semanticWeight
          + " (expected: 0..10 each, not both 0)");
    }
    if (fusionDepth < 1 || fusionDepth > semanticCandidates) {
      throw new IllegalArgumentException("fusionDepth: " + fusionDepth + " (expected: 1.." + semanticCandidates + ")");
    }
    if (queryCacheEntries < 0 || queryCacheEntries > 1_000_000) {
      throw new IllegalArgumentException("queryCacheEntries: " + queryCacheEntries + " (expected: 0..1000000)");
    }
    if (queryCacheTtl.isNegative() || queryCacheTtl.isZero()) {
      throw new IllegalArgumentException("queryCacheTtl: " + queryCacheTtl + " (expected: positive)");
    }
    if (!(fallbackMinSimilarity >= -1 && fallbackMinSimilarity <= 1)) {
      throw new IllegalArgumentException("fallbackMinSimilarity: " + fallbackMinSimilarity + " (expected: -1..1)");
    }
  }

  public SearchSettings withFusion(int rrfK, double lexicalWeight, double semanticWeight, int fusionDepth) {
    return new SearchSettings(k1, b, maxCandidates, maxQueryTerms, snippetCodePoints, semanticCandidates, rrfK,
        lexicalWeight, semanticWeight, fallbackMinSimilarity, fusionDepth, queryCacheEntries, queryCacheTtl);
  }

  public SearchSettings withRanking(double k1, double b, int maxCandidates) {
    return new SearchSettings(k1, b, maxCandidates, maxQueryTerms, snippetCodePoints, semanticCandidates, rrfK,
        lexicalWeight, semanticWeight, fallbackMinSimilarity, fusionDepth, queryCacheEntries, queryCacheTtl);
  }

  public SearchSettings withQueryCache(int entries, java.time.Duration ttl) {
    return new SearchSettings(k1, b, maxCandidates, maxQueryTerms, snippetCodePoints, semanticCandidates, rrfK,
        lexicalWeight, semanticWeight, fallbackMinSimilarity, fusionDepth, entries, ttl);
  }
}
