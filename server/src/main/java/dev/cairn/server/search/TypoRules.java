package dev.cairn.server.search;

import org.apache.lucene.util.automaton.CharacterRunAutomaton;
import org.apache.lucene.util.automaton.LevenshteinAutomata;

/**
 * Which query words may be corrected and by how much, after Meilisearch's defaults: a word of
 * fewer than 5 letters gets no typo, one of 5 to 8 letters one, one of 9 or more two; a typo is an
 * insertion, deletion, substitution or transposition of adjacent letters (Damerau-Levenshtein),
 * and a typo on the first letter counts as two (people rarely get the first letter wrong, and
 * changing it finds unrelated words). Words with digits never reach here ({@link Words}); a word
 * written in capitals alone ({@code NASA}, {@code HTTPS}, {@code ACME}) is taken for a code or an
 * acronym and is not corrected either. Lengths are counted in code points of the word as typed.
 * The vocabulary lookup only offers words with the word's first letter (an index condition
 * row-level security allows; see {@code SearchRepository#vocabulary}), so of these rules the one
 * given up is a lone first-letter typo in a word of 9 or more letters.
 */
final class TypoRules {
  static final int ONE_TYPO_FROM = 5;
  static final int TWO_TYPOS_FROM = 9;

  private TypoRules() {}

  /** How many typos {@code word} (as typed) may have: 0, 1 or 2. */
  static int allowed(String word) {
    if (isCode(word)) {
      return 0;
    }
    int letters = word.codePointCount(0, word.length());
    return letters >= TWO_TYPOS_FROM ? 2 : letters >= ONE_TYPO_FROM ? 1 : 0;
  }

  /** Two or more capitals and no lower-case letter: an acronym or a code. */
  static boolean isCode(String word) {
    return word.codePoints().filter(Character::isUpperCase).count() >= 2 && word.codePoints().noneMatch(Character::isLowerCase);
  }

  /**
   * Measures candidates against one query word (lower case). Lucene's Levenshtein automata (with
   * transpositions) decide "within n edits" exactly, one automaton per n, built once per word.
   */
  static final class Matcher {
    private final String word;
    private final int allowed;
    private final CharacterRunAutomaton[] within;

    Matcher(String word, int allowed) {
      this.word = word;
      this.allowed = allowed;
      this.within = new CharacterRunAutomaton[allowed + 1];
      var automata = new LevenshteinAutomata(word, true);
      for (int n = 0; n <= allowed; n++) {
        within[n] = new CharacterRunAutomaton(automata.toAutomaton(n));
      }
    }

    /** The typos {@code candidate} is away from the word (first letter counting double), or -1 beyond the allowance. */
    int typos(String candidate) {
      int penalty = candidate.isEmpty() || candidate.codePointAt(0) != word.codePointAt(0) ? 1 : 0;
      for (int n = 0; n + penalty <= allowed; n++) {
        if (within[n].run(candidate)) {
          return n + penalty;
        }
      }
      return -1;
    }
  }
}
