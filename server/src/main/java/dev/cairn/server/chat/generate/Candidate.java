package dev.cairn.server.chat.generate;

import java.util.Map;

/**
 * A sentence the extractive answerer may quote: where it comes from ({@code rank} is its
 * source's place in the prompt, 0 first), its analysed terms with their counts, and its score.
 */
record Candidate(
    Prompt.Source source, int rank, Sentences.Sentence sentence, Map<String, Integer> terms, int length,
    double score) {

  Candidate withScore(double newScore) {
    return new Candidate(source, rank, sentence, terms, length, newScore);
  }

  /** Shares so many terms with {@code other} that quoting both would say the same thing twice. */
  boolean repeats(Candidate other) {
    long shared = terms.keySet().stream().filter(other.terms::containsKey).count();
    long union = terms.size() + other.terms.size() - shared;
    return union > 0 && shared >= NEAR_DUPLICATE * union;
  }

  /** Jaccard similarity of the term sets at or above which two sentences count as one. */
  static final double NEAR_DUPLICATE = 0.7;
}
