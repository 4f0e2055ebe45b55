package dev.cairn.server.search.embed;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.CairnException;
import java.util.ArrayList;
import java.util.List;

/** The input rules every embedder applies before a text reaches a model or an API. */
final class Inputs {
  private Inputs() {}

  /** Each text checked and cleaned, in order; names the offending index when one is bad. */
  static List<String> passages(List<String> passages, int maxChars) {
    requireNonNull(passages, "passages");
    List<String> cleaned = new ArrayList<>(passages.size());
    for (int i = 0; i < passages.size(); i++) {
      cleaned.add(text("passages[" + i + "]", passages.get(i), maxChars));
    }
    return cleaned;
  }

  /**
   * A blank text has no meaning to embed, so it is refused. NUL becomes a space (it separates
   * words in the extracted text it comes from; the tokenizer would silently glue them), a lone
   * surrogate becomes U+FFFD (it has no UTF-8 form), and the text is cut at {@code maxChars}:
   * the model reads only its first tokens anyway, and the cut bounds tokenizer work on a
   * hostile megabyte string.
   */
  static String text(String field, String text, int maxChars) {
    if (text == null) {
      throw CairnException.invalidField(field, "null (expected: text)");
    }
    String cut = text.length() > maxChars ? text.substring(0, safeCut(text, maxChars)) : text;
    String cleaned = clean(cut);
    if (cleaned.isBlank()) {
      throw CairnException.invalidField(field, "blank (expected: text with a visible character)");
    }
    return cleaned;
  }

  private static int safeCut(String text, int at) {
    // do not split a surrogate pair at the cut
    return Character.isHighSurrogate(text.charAt(at - 1)) ? at - 1 : at;
  }

  private static String clean(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      char replacement = c;
      if (c == '\0') {
        replacement = ' ';
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        if (out != null) {
          out.append(c).append(text.charAt(i + 1));
        }
        i++;
        continue;
      } else if (Character.isSurrogate(c)) {
        replacement = '\uFFFD';
      }
      if (replacement != c && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (out != null) {
        out.append(replacement);
      }
    }
    return out == null ? text : out.toString();
  }
}
