package dev.cairn.server.chat.generate;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Cuts a source's text into sentences the extractive answerer can quote. Every sentence is a
 * contiguous run of the (bounded, cleaned) source text with its whitespace collapsed, so an answer
 * made of them never says anything its sources do not — except that a source's own bracketed
 * numbers (literature references such as {@code [12]} or {@code [3, 4]}) are written
 * {@code (12)}: in an answer, a bracketed number is a citation marker and nothing else.
 */
final class Sentences {
  /** Only this much of a source is read: retrieved chunks are far smaller; a huge one is hostile. */
  static final int MAX_SOURCE_CHARS = 50_000;
  /** A "sentence" longer than this (a table, text without full stops) is cut at word breaks. */
  static final int MAX_SENTENCE_CHARS = 400;

  private static final Pattern BRACKETED_NUMBERS = Pattern.compile("\\[(\\d[\\d,;\u2013 -]*)\\]");

  private Sentences() {}

  /** One quotable sentence: its text and its position in its source (for reading order). */
  record Sentence(String text, int position) {}

  static List<Sentence> split(String source) {
    String text = clean(source);
    BreakIterator breaks = BreakIterator.getSentenceInstance(Locale.ENGLISH);
    breaks.setText(text);
    List<Sentence> out = new ArrayList<>();
    for (int start = breaks.first(), end = breaks.next();
        end != BreakIterator.DONE;
        start = end, end = breaks.next()) {
      for (String piece : bounded(text.substring(start, end))) {
        out.add(new Sentence(piece, out.size()));
      }
    }
    return out;
  }

  /**
   * The first {@link #MAX_SOURCE_CHARS} characters with control characters (NUL and the like,
   * which would end up in the answer and in logs) turned into spaces.
   */
  static String clean(String text) {
    int length = Math.min(text.length(), MAX_SOURCE_CHARS);
    if (length > 0 && Character.isHighSurrogate(text.charAt(length - 1))) {
      length--; // never cut a character in half
    }
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) && c != '\n' ? ' ' : c);
    }
    return out.toString();
  }

  /** The sentence with whitespace collapsed, in pieces of at most MAX_SENTENCE_CHARS. */
  private static List<String> bounded(String raw) {
    String sentence = BRACKETED_NUMBERS.matcher(raw.strip().replaceAll("\\s+", " ")).replaceAll("($1)");
    List<String> pieces = new ArrayList<>();
    while (sentence.length() > MAX_SENTENCE_CHARS) {
      int cut = sentence.lastIndexOf(' ', MAX_SENTENCE_CHARS);
      if (cut <= MAX_SENTENCE_CHARS / 2) {
        cut = MAX_SENTENCE_CHARS; // one enormous "word": cut it anyway
        if (Character.isHighSurrogate(sentence.charAt(cut - 1))) {
          cut--;
        }
      }
      pieces.add(sentence.substring(0, cut).strip());
      sentence = sentence.substring(cut).strip();
    }
    if (!sentence.isEmpty()) {
      pieces.add(sentence);
    }
    return pieces;
  }
}
