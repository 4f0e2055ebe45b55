package dev.cairn.server.search.ingest;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Cuts blocks into {@link Unit}s no bigger than a chunk: sentences (java.text.BreakIterator) for
 * running text, lines for code, a heading whole; a unit still too big is cut at word boundaries,
 * and a single word too big (a long unbroken string) at code points.
 */
final class Units {
  private final String text;
  private final TokenCounter counter;
  private final int maxTokens;
  private final int maxChars;

  Units(String text, TokenCounter counter, int maxTokens, int maxChars) {
    this.text = text;
    this.counter = counter;
    this.maxTokens = maxTokens;
    this.maxChars = maxChars;
  }

  /** The units of the block whose text starts at {@code offset} in the canonical text. */
  void addBlock(Block block, int offset, List<Unit> out) {
    List<int[]> pieces = switch (block.kind()) {
      case HEADING, TABLE_ROW -> List.of(new int[] {0, block.text().length()});
      case CODE -> lines(block.text());
      default -> sentences(block.text());
    };
    for (int p = 0; p < pieces.size(); p++) {
      int start = offset + pieces.get(p)[0];
      int end = offset + pieces.get(p)[1];
      boolean last = p == pieces.size() - 1;
      int tokens = counter.count(text.substring(start, end));
      if (tokens <= maxTokens && end - start <= maxChars) {
        out.add(new Unit(start, end, tokens, true, last, block.kind() == BlockKind.HEADING ? block : null));
      } else {
        addWords(start, end, last, out);
      }
    }
  }

  private static List<int[]> sentences(String block) {
    return segments(block, BreakIterator.getSentenceInstance(Locale.ROOT));
  }

  private static List<int[]> lines(String block) {
    List<int[]> lines = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= block.length(); i++) {
      if (i == block.length() || block.charAt(i) == '\n') {
        trimmed(block, from, i, lines);
        from = i + 1;
      }
    }
    return lines;
  }

  /** Packs the words of [start, end) into units that fit; the first begins the sentence. */
  private void addWords(int start, int end, boolean blockEnd, List<Unit> out) {
    String span = text.substring(start, end);
    List<int[]> words = segments(span, BreakIterator.getWordInstance(Locale.ROOT));
    int pieceStart = -1;
    int pieceEnd = -1;
    int tokens = 0;
    boolean first = true;
    for (int[] word : words) {
      int wordTokens = counter.count(span.substring(word[0], word[1]));
      if (pieceStart >= 0 && (tokens + wordTokens > maxTokens || word[1] - pieceStart > maxChars)) {
        first = emit(start + pieceStart, start + pieceEnd, first, false, out);
        pieceStart = -1;
      }
      if (wordTokens > maxTokens || word[1] - word[0] > maxChars) {
        first = addCodePoints(start + word[0], start + word[1], first, out);
        continue;
      }
      if (pieceStart < 0) {
        pieceStart = word[0];
        tokens = 0;
      }
      pieceEnd = word[1];
      tokens += wordTokens;
    }
    if (pieceStart >= 0) {
      emit(start + pieceStart, start + pieceEnd, first, blockEnd, out);
    } else if (!out.isEmpty() && blockEnd) {
      Unit lastUnit = out.removeLast();
      out.add(new Unit(lastUnit.start(), lastUnit.end(), lastUnit.tokens(), lastUnit.sentenceStart(), true, null));
    }
  }

  /** Emits [start, end) as units, halving it (at code points) until each half fits. */
  private boolean addCodePoints(int start, int end, boolean first, List<Unit> out) {
    if (end - start > maxChars) {
      int mid = codePointAligned(start + (end - start) / 2);
      return addCodePoints(mid, end, addCodePoints(start, mid, first, out), out);
    }
    int tokens = counter.count(text.substring(start, end));
    if (tokens <= maxTokens || Character.codePointCount(text, start, end) == 1) {
      out.add(new Unit(start, end, tokens, first, false, null));
      return false;
    }
    int mid = codePointAligned(start + (end - start) / 2);
    return addCodePoints(mid, end, addCodePoints(start, mid, first, out), out);
  }

  /** Emits one words unit after re-counting it whole (word counts need not add up exactly). */
  private boolean emit(int start, int end, boolean first, boolean blockEnd, List<Unit> out) {
    int tokens = counter.count(text.substring(start, end));
    if (tokens > maxTokens) {
      return addCodePoints(start, end, first, out);
    }
    out.add(new Unit(start, end, tokens, first, blockEnd, null));
    return false;
  }

  private int codePointAligned(int index) {
    return Character.isLowSurrogate(text.charAt(index)) ? index + 1 : index;
  }

  /** The non-blank segments of a text by a break iterator, each trimmed of whitespace. */
  private static List<int[]> segments(String span, BreakIterator iterator) {
    iterator.setText(span);
    List<int[]> segments = new ArrayList<>();
    int from = iterator.first();
    for (int to = iterator.next(); to != BreakIterator.DONE; from = to, to = iterator.next()) {
      trimmed(span, from, to, segments);
    }
    return segments;
  }

  private static void trimmed(String span, int from, int to, List<int[]> out) {
    int start = from;
    int end = to;
    while (start < end && Character.isWhitespace(span.charAt(start))) {
      start++;
    }
    while (end > start && Character.isWhitespace(span.charAt(end - 1))) {
      end--;
    }
    if (start < end) {
      out.add(new int[] {start, end});
    }
  }
}
