package dev.cairn.server.search.ingest;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The one normalisation every extracted text goes through: line ends to {@code \n}, control
 * characters other than {@code \n} and {@code \t} removed (PostgreSQL text cannot hold NUL), lone
 * surrogates and byte-order marks removed, then NFC so that the same words match whatever form the
 * source used.
 */
final class TextNormalizer {
  private static final Pattern LINE_END = Pattern.compile("\r\n?");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern TRAILING_SPACE = Pattern.compile("[ \\t]+$", Pattern.MULTILINE);

  private TextNormalizer() {}

  /** Running text: every run of whitespace (line breaks included) becomes one space, ends trimmed. */
  static String inline(String raw) {
    return WHITESPACE.matcher(clean(raw)).replaceAll(" ").strip();
  }

  /** Preformatted text: lines and indentation kept, trailing spaces and blank edges removed. */
  static String preformatted(String raw) {
    String text = TRAILING_SPACE.matcher(clean(raw)).replaceAll("");
    int start = 0;
    while (start < text.length() && text.charAt(start) == '\n') {
      start++;
    }
    return text.substring(start).stripTrailing();
  }

  /** Line ends as {@code \n}, without the characters nobody searches for, in NFC. */
  static String clean(String raw) {
    String text = LINE_END.matcher(raw).replaceAll("\n");
    StringBuilder kept = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        kept.append(c).append(text.charAt(++i));
      } else if (c == '\n' || c == '\t' || !(Character.isISOControl(c) || Character.isSurrogate(c) || c == '\uFEFF')) {
        kept.append(c);
      }
    }
    return Normalizer.normalize(kept, Normalizer.Form.NFC);
  }
}
