package dev.cairn.server.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plain words of a text, as the typo stage's vocabulary holds them: maximal runs of letters
 * and digits, kept only when they are letters alone (a run with a digit — {@code x1}, {@code
 * 2024}, {@code abc123} — is a number or an id, never a word to correct or to correct into), in
 * lower case. The same split serves the index (what goes into the vocabulary) and the query
 * (which words may be corrected), so the two agree on what a word is.
 */
public final class Words {
  /** Longer runs are not words anyone misspells (hashes, base64): not kept. */
  public static final int MAX_CODE_POINTS = 64;
  private static final Pattern RUN = Pattern.compile("[\\p{L}\\p{M}\\p{Nd}]+");

  private Words() {}

  /** Each word of {@code text} as written (original case), in order, repeats included. */
  static List<String> of(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = RUN.matcher(text);
    while (m.find()) {
      String run = m.group();
      if (run.codePoints().allMatch(c -> Character.isLetter(c) || Character.getType(c) == Character.NON_SPACING_MARK
          || Character.getType(c) == Character.COMBINING_SPACING_MARK || Character.getType(c) == Character.ENCLOSING_MARK)
          && run.codePointCount(0, run.length()) <= MAX_CODE_POINTS) {
        out.add(run);
      }
    }
    return out;
  }

  /** The words of the texts in lower case, with how often each occurs (sorted, for stable writes). */
  public static Map<String, Integer> count(List<String> texts) {
    Map<String, Integer> out = new TreeMap<>();
    for (String text : texts) {
      for (String word : of(text)) {
        out.merge(lower(word), 1, Integer::sum);
      }
    }
    return out;
  }

  static String lower(String word) {
    return word.toLowerCase(Locale.ROOT);
  }
}
