package dev.cairn.server.search;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The words of a parsed query: the lexemes of a {@code tsquery}'s text form (as PostgreSQL
 * prints it: {@code 'cat' & !'dog' | ( 'a' <-> 'b' )}) that are not negated. Those are what
 * BM25 scores, what highlights mark, and what the prefix stage is built from. The prefix query is
 * assembled from these lexemes, each quoted as tsquery syntax requires, never from the user's text.
 */
final class QueryTerms {
  private QueryTerms() {}

  /** The positive lexemes of {@code tsquery}, in order of first appearance. */
  static List<String> positive(String tsquery) {
    Set<String> out = new LinkedHashSet<>();
    List<Boolean> groups = new ArrayList<>(); // for each open parenthesis: is the group negated
    boolean negateNext = false;
    int i = 0;
    while (i < tsquery.length()) {
      char c = tsquery.charAt(i);
      if (c == '!') {
        negateNext = !negateNext;
        i++;
      } else if (c == '(') {
        groups.add(negateNext);
        negateNext = false;
        i++;
      } else if (c == ')') {
        if (!groups.isEmpty()) {
          groups.removeLast();
        }
        i++;
      } else if (c == '\'') {
        StringBuilder lexeme = new StringBuilder();
        i++;
        while (i < tsquery.length()) {
          char d = tsquery.charAt(i);
          if (d == '\\' && i + 1 < tsquery.length()) {
            lexeme.append(tsquery.charAt(i + 1));
            i += 2;
          } else if (d == '\'' && i + 1 < tsquery.length() && tsquery.charAt(i + 1) == '\'') {
            lexeme.append('\'');
            i += 2;
          } else if (d == '\'') {
            i++;
            break;
          } else {
            lexeme.append(d);
            i++;
          }
        }
        if (!negateNext && !groups.contains(Boolean.TRUE) && !lexeme.isEmpty()) {
          out.add(lexeme.toString());
        }
        negateNext = false;
      } else {
        i++; // operators (&, |, <->, <N>), weights and prefix marks after a lexeme, spaces
      }
    }
    return List.copyOf(out);
  }

  /**
   * The EXACT stage's match: a query of plain words matches a chunk holding ANY of them, as BM25
   * is meant to be used — ranking puts the chunks holding more and rarer words first; requiring
   * every word of a natural-language question finds almost nothing (SciFact: nDCG@10 0.06 against
   * 0.60). A query whose text uses websearch syntax ({@link #usesSyntax}) keeps exactly what it
   * asked for. The decision is the text's, not the tsquery's: the parser turns a hyphenated word
   * ("T-cell", "IL-6") into a phrase ({@code 't-cell' <-> 't' <-> 'cell'}) nobody typed, and
   * judging by the tsquery made every claim with one such word require all its words.
   */
  static String anyWord(String tsquery, boolean syntax) {
    if (syntax) {
      return tsquery;
    }
    return String.join(" | ", positive(tsquery).stream().map(QueryTerms::quote).toList());
  }

  private static final java.util.regex.Pattern SYNTAX =
      java.util.regex.Pattern.compile("\"|(?:^|\\s)-\\S|(?:^|\\s)OR(?:\\s|$)");

  /**
   * Whether the query text uses websearch_to_tsquery's operators: a quoted phrase, an excluded
   * word (a minus at a word's start) or OR between words in capitals, as web search engines
   * take it (websearch_to_tsquery takes any case, but in a claim "regional or distant" is English:
   * of SciFact's 809 train claims, 20 use syntax if "or" counts in any case, 3 if in capitals).
   */
  static boolean usesSyntax(String text) {
    return SYNTAX.matcher(text).find();
  }

  /**
   * The prefix stage's query: the last {@code prefixed} lexemes as prefixes
   * ({@code 'quantum' | 'comput':*}), in tsquery's input syntax with each lexeme quoted; the
   * words joined as the EXACT stage joins them ({@code any}: OR, else AND).
   */
  static String prefixQuery(List<String> lexemes, int prefixed, boolean any) {
    StringBuilder q = new StringBuilder();
    for (int i = 0; i < lexemes.size(); i++) {
      if (i > 0) {
        q.append(any ? " | " : " & ");
      }
      q.append(quote(lexemes.get(i)));
      if (i >= lexemes.size() - prefixed) {
        q.append(":*");
      }
    }
    return q.toString();
  }

  private static final java.util.regex.Pattern QUOTED = java.util.regex.Pattern.compile("'(?:[^'\\\\]|''|\\\\.)*'");

  /**
   * The tsquery (text form) with each lexeme that {@code swap} names replaced by its value, the
   * operators and every other lexeme as they were (the TYPO stage's corrected query).
   */
  static String replace(String tsquery, java.util.Map<String, String> swap) {
    if (swap.isEmpty()) {
      return tsquery;
    }
    var m = QUOTED.matcher(tsquery);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      List<String> lexeme = positive(m.group());
      String replaced = lexeme.isEmpty() ? m.group() : quote(swap.getOrDefault(lexeme.getFirst(), lexeme.getFirst()));
      m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(replaced));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A lexeme as one quoted tsquery operand: quotes doubled, backslashes escaped. */
  static String quote(String lexeme) {
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'";
  }
}
