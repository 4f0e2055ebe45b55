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
   * The prefix stage's query: every lexeme required, the last {@code prefixed} as prefixes
   * ({@code 'quantum' & 'comput':*}), in tsquery's input syntax with each lexeme quoted.
   */
  static String prefixQuery(List<String> lexemes, int prefixed) {
    StringBuilder q = new StringBuilder();
    for (int i = 0; i < lexemes.size(); i++) {
      if (i > 0) {
        q.append(" & ");
      }
      q.append(quote(lexemes.get(i)));
      if (i >= lexemes.size() - prefixed) {
        q.append(":*");
      }
    }
    return q.toString();
  }

  /** A lexeme as one quoted tsquery operand: quotes doubled, backslashes escaped. */
  static String quote(String lexeme) {
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'";
  }
}
