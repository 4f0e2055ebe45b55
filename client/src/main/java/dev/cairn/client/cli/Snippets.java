package dev.cairn.client.cli;

import dev.cairn.search.v1.Highlight;
import dev.cairn.search.v1.Snippet;

/**
 * Renders a search snippet with its highlights marked: ANSI bold + reverse video on a terminal,
 * {@code «…»} otherwise. The contract counts highlight offsets in Unicode code points while Java
 * strings count UTF-16 units (an emoji is one code point, two chars), so offsets are converted
 * before cutting. Control characters from the indexed text are replaced first, so a hostile
 * document cannot send escape sequences to the reader's terminal.
 */
final class Snippets {
  static final String ANSI_ON = "\u001b[1;7m";
  static final String ANSI_OFF = "\u001b[0m";
  static final String PLAIN_ON = "«";
  static final String PLAIN_OFF = "»";

  private Snippets() {}

  /** The snippet's text with its highlights marked; ranges out of order or out of bounds are clamped, never thrown. */
  static String render(Snippet snippet, boolean terminal) {
    String text = safe(snippet.getText());
    int codePoints = text.codePointCount(0, text.length());
    String on = terminal ? ANSI_ON : PLAIN_ON;
    String off = terminal ? ANSI_OFF : PLAIN_OFF;
    StringBuilder out = new StringBuilder(text.length() + 8 * snippet.getHighlightsCount());
    int doneCp = 0;
    int doneUtf16 = 0;
    for (Highlight h : snippet.getHighlightsList()) {
      int start = Math.max(doneCp, Math.min(h.getStart(), codePoints));
      int end = Math.max(start, Math.min(h.getEnd(), codePoints));
      if (end == start) {
        continue;
      }
      int startUtf16 = text.offsetByCodePoints(doneUtf16, start - doneCp);
      int endUtf16 = text.offsetByCodePoints(startUtf16, end - start);
      out.append(text, doneUtf16, startUtf16).append(on).append(text, startUtf16, endUtf16).append(off);
      doneCp = end;
      doneUtf16 = endUtf16;
    }
    return out.append(text, doneUtf16, text.length()).toString();
  }

  /**
   * Text fit for a terminal: every control character (C0, DEL, C1) becomes a space, one char for
   * one char, so code point offsets still line up. Lone surrogates stay: they count as one code
   * point each, as the server counted them.
   */
  static String safe(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
        if (out == null) {
          out = new StringBuilder(text);
        }
        out.setCharAt(i, ' ');
      }
    }
    return out == null ? text : out.toString();
  }
}
