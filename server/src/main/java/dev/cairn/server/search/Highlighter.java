package dev.cairn.server.search;

import dev.cairn.server.search.Search.Highlight;
import dev.cairn.server.search.index.WordSpans;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Marks where a query matched a chunk and cuts a snippet around the first match, in code points.
 * The chunk text is decrypted in the server, so the marking happens here: PostgreSQL's parser
 * says which words of the text normalise to which lexemes (the same parser and dictionaries that
 * built the stored vector; a compound word carries its parts' lexemes and its parts are skipped), and this class finds those words in the text and
 * counts code points (an emoji is one, as the contract says; Java strings count it as two chars).
 */
final class Highlighter {
  /** A word of the text as the parser saw it, and the lexemes it normalises to (none for stop words and spaces). */
  record Token(String text, List<String> lexemes) {}

  /** A snippet with its marks, and the query terms that matched. */
  record Marked(String snippet, List<Highlight> highlights, List<String> matchedTerms) {}

  private final int maxCodePoints;

  Highlighter(int maxCodePoints) {
    this.maxCodePoints = maxCodePoints;
  }

  /**
   * The words of {@code text} that normalise to lexemes, in code points: the parser's tokens
   * placed in the text (a compound's parts, which follow it, fall inside it and are passed over;
   * its own lexemes include theirs). Worked out once when a chunk is indexed and stored with its
   * text, so a search marks its hits without asking PostgreSQL's parser again.
   */
  static WordSpans spans(String text, List<Token> tokens) {
    List<String> lexemes = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    List<Integer> triples = new ArrayList<>();
    int utf16 = 0;
    int codePoints = 0;
    int whole = 0; // the last token placed: [whole, utf16); a compound's parts follow it, inside it
    int part = 0;
    int lastStart = 0;
    for (Token token : tokens) {
      int inside = token.text().isEmpty() || token.text().length() > utf16 - part ? -1 : text.indexOf(token.text(), part);
      if (inside >= whole && inside + token.text().length() <= utf16) {
        part = inside + token.text().length(); // a part of the compound just placed, which holds its lexemes
        continue;
      }
      int at = text.indexOf(token.text(), utf16);
      if (at < 0) {
        continue; // the parser changed the token (should not happen); skip rather than misplace
      }
      codePoints += text.codePointCount(utf16, at);
      int length = token.text().codePointCount(0, token.text().length());
      for (String lexeme : token.lexemes()) {
        int id = index.computeIfAbsent(lexeme, l -> {
          lexemes.add(l);
          return lexemes.size() - 1;
        });
        triples.add(codePoints - lastStart);
        triples.add(length);
        triples.add(id);
        lastStart = codePoints;
      }
      codePoints += length;
      whole = at;
      part = at;
      utf16 = at + token.text().length();
    }
    return new WordSpans(lexemes, triples.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Marks the words whose lexemes are query terms (or start with a query prefix) and cuts the snippet. */
  Marked mark(String text, WordSpans words, Set<String> terms, Set<String> prefixes) {
    List<Highlight> all = new ArrayList<>();
    Set<String> matched = new TreeSet<>();
    int[] t = words.spans();
    int start = 0;
    int lastMarked = -1;
    for (int i = 0; i + 2 < t.length; i += 3) {
      start += t[i];
      if (start == lastMarked) {
        continue; // another lexeme of a word already marked
      }
      String hit = matching(words.lexemes().get(t[i + 2]), terms, prefixes);
      if (hit != null) {
        all.add(new Highlight(start, start + t[i + 1]));
        matched.add(hit);
        lastMarked = start;
      }
    }
    return cut(text, all, List.copyOf(matched));
  }

  private static @Nullable String matching(String lexeme, Set<String> terms, Set<String> prefixes) {
    if (terms.contains(lexeme)) {
      return lexeme;
    }
    for (String prefix : prefixes) {
      if (lexeme.startsWith(prefix)) {
        return prefix;
      }
    }
    return null;
  }

  /** The window of at most maxCodePoints around the first mark, at word boundaries where it can be. */
  private Marked cut(String text, List<Highlight> marks, List<String> matched) {
    int[] cps = text.codePoints().toArray();
    if (cps.length <= maxCodePoints) {
      return new Marked(text, marks, matched);
    }
    int first = marks.isEmpty() ? 0 : marks.getFirst().start();
    int start = Math.max(0, Math.min(first - maxCodePoints / 5, cps.length - maxCodePoints));
    while (start > 0 && start < first && !Character.isWhitespace(cps[start - 1])) {
      start++; // begin at a word
    }
    int end = Math.min(cps.length, start + maxCodePoints);
    int wordEnd = end;
    while (wordEnd < cps.length && wordEnd > start && !Character.isWhitespace(cps[wordEnd])) {
      wordEnd--; // end at a word
    }
    if (wordEnd > first) {
      end = wordEnd;
    }
    List<Highlight> inside = new ArrayList<>();
    for (Highlight h : marks) {
      if (h.start() >= start && h.end() <= end) {
        inside.add(new Highlight(h.start() - start, h.end() - start));
      }
    }
    return new Marked(new String(cps, start, end - start).strip().isEmpty() ? "" : new String(cps, start, end - start),
        inside, matched);
  }
}
