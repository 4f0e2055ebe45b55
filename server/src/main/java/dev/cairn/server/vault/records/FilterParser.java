package dev.cairn.server.vault.records;

import dev.cairn.server.core.CairnException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A hand-written recursive-descent parser for the AIP-160 subset QueryRecords accepts:
 *
 * <pre>
 * filter     = [expression] EOF
 * expression = sequence { "AND" sequence }
 * sequence   = factor { factor }                 (juxtaposition means AND)
 * factor     = term { "OR" term }                (OR binds tighter than AND, as in AIP-160)
 * term       = [ "NOT" | "-" ] simple
 * simple     = "(" expression ")" | field comparator value
 * comparator = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
 * value      = string | number | "true" | "false" | "null" | "*" | word
 * field      = word { "." word }
 * </pre>
 *
 * Keywords are upper case, as AIP-160 says. Errors are INVALID_ARGUMENT on {@code filter}
 * naming the 0-based position and what was expected there.
 */
final class FilterParser {
  /** Deep nesting would only exhaust the stack; no real filter needs more. */
  private static final int MAX_DEPTH = 32;

  private final String text;
  private final List<Token> tokens;
  private int next;
  private int depth;

  private FilterParser(String text) {
    this.text = text;
    this.tokens = new Lexer(text).tokens();
  }

  /** The filter's tree, or null for an empty (all-matching) filter. */
  static @Nullable Filter parse(String filter) {
    var parser = new FilterParser(filter);
    if (parser.peek().kind == Kind.EOF) {
      return null;
    }
    Filter result = parser.expression();
    parser.expect(Kind.EOF, "AND, OR or the end of the filter");
    return result;
  }

  private Filter expression() {
    if (++depth > MAX_DEPTH) {
      throw error(peek().position, "filter nested more than " + MAX_DEPTH + " levels deep");
    }
    List<Filter> parts = new ArrayList<>();
    parts.add(sequence());
    while (peek().isKeyword("AND")) {
      next++;
      parts.add(sequence());
    }
    depth--;
    return parts.size() == 1 ? parts.getFirst() : new Filter.And(parts);
  }

  private Filter sequence() {
    List<Filter> parts = new ArrayList<>();
    parts.add(factor());
    while (startsTerm(peek())) {
      parts.add(factor());
    }
    return parts.size() == 1 ? parts.getFirst() : new Filter.And(parts);
  }

  private Filter factor() {
    List<Filter> parts = new ArrayList<>();
    parts.add(term());
    while (peek().isKeyword("OR")) {
      next++;
      parts.add(term());
    }
    return parts.size() == 1 ? parts.getFirst() : new Filter.Or(parts);
  }

  private static boolean startsTerm(Token t) {
    return t.kind == Kind.LPAREN
        || t.kind == Kind.MINUS
        || (t.kind == Kind.WORD && !t.isKeyword("AND") && !t.isKeyword("OR"));
  }

  private Filter term() {
    Token t = peek();
    if (t.isKeyword("NOT") || t.kind == Kind.MINUS) {
      next++;
      return new Filter.Not(simple());
    }
    return simple();
  }

  private Filter simple() {
    Token t = peek();
    if (t.kind == Kind.LPAREN) {
      next++;
      Filter inner = expression();
      expect(Kind.RPAREN, "')'");
      return inner;
    }
    if (t.kind != Kind.WORD || t.isKeyword("AND") || t.isKeyword("OR") || t.isKeyword("NOT")) {
      throw error(t.position, "expected a field name or '(' but found " + t.describe());
    }
    String field = field();
    Token op = peek();
    if (op.kind != Kind.OP) {
      throw error(op.position, "expected a comparator (= != < <= > >= :) after " + field + " but found " + op.describe());
    }
    next++;
    return new Filter.Compare(field, operator(op.text), value(), t.position);
  }

  private String field() {
    var name = new StringBuilder(take().text);
    while (peek().kind == Kind.DOT) {
      next++;
      Token part = peek();
      if (part.kind != Kind.WORD) {
        throw error(part.position, "expected a field name after '.' but found " + part.describe());
      }
      name.append('.').append(take().text);
    }
    return name.toString();
  }

  private static Filter.Op operator(String symbol) {
    for (Filter.Op op : Filter.Op.values()) {
      if (op.symbol.equals(symbol)) {
        return op;
      }
    }
    throw new IllegalStateException("lexer produced operator " + symbol);
  }

  private Filter.Value value() {
    Token t = peek();
    switch (t.kind) {
      case STRING -> {
        next++;
        return new Filter.Value.Text(t.text);
      }
      case NUMBER -> {
        next++;
        return new Filter.Value.Number(new BigDecimal(t.text));
      }
      case STAR -> {
        next++;
        return new Filter.Value.Any();
      }
      case MINUS -> {
        Token number = tokens.get(next + 1);
        if (number.kind == Kind.NUMBER && number.position == t.position + 1) {
          next += 2;
          return new Filter.Value.Number(new BigDecimal(number.text).negate());
        }
      }
      case WORD -> {
        if (!t.isKeyword("AND") && !t.isKeyword("OR") && !t.isKeyword("NOT")) {
          next++;
          return switch (t.text) {
            case "true" -> new Filter.Value.Bool(true);
            case "false" -> new Filter.Value.Bool(false);
            case "null" -> new Filter.Value.Null();
            default -> new Filter.Value.Text(t.text);
          };
        }
      }
      default -> {}
    }
    throw error(t.position, "expected a value (a \"string\", a number, true, false, null or *) but found " + t.describe());
  }

  private Token peek() {
    return tokens.get(next);
  }

  private Token take() {
    return tokens.get(next++);
  }

  private void expect(Kind kind, String what) {
    Token t = peek();
    if (t.kind != kind) {
      throw error(t.position, "expected " + what + " but found " + t.describe());
    }
    next++;
  }

  private static CairnException error(int position, String message) {
    return CairnException.invalidField("filter", "at position " + position + ": " + message);
  }

  // ------------------------------------------------------------------ lexer

  private enum Kind {
    WORD,
    STRING,
    NUMBER,
    OP,
    DOT,
    MINUS,
    STAR,
    LPAREN,
    RPAREN,
    EOF
  }

  private record Token(Kind kind, String text, int position) {
    boolean isKeyword(String keyword) {
      return kind == Kind.WORD && text.equals(keyword);
    }

    String describe() {
      return switch (kind) {
        case EOF -> "the end of the filter";
        case STRING -> "a string";
        default -> "'" + text + "'";
      };
    }
  }

  /** Splits the filter into tokens; whitespace only separates. */
  private static final class Lexer {
    private final String s;
    private int i;

    Lexer(String s) {
      this.s = s;
    }

    List<Token> tokens() {
      List<Token> out = new ArrayList<>();
      while (true) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
          i++;
        }
        if (i >= s.length()) {
          out.add(new Token(Kind.EOF, "", i));
          return out;
        }
        out.add(token());
      }
    }

    private Token token() {
      int start = i;
      char c = s.charAt(i);
      switch (c) {
        case '(' -> {
          i++;
          return new Token(Kind.LPAREN, "(", start);
        }
        case ')' -> {
          i++;
          return new Token(Kind.RPAREN, ")", start);
        }
        case '.' -> {
          i++;
          return new Token(Kind.DOT, ".", start);
        }
        case '-' -> {
          i++;
          return new Token(Kind.MINUS, "-", start);
        }
        case '*' -> {
          i++;
          return new Token(Kind.STAR, "*", start);
        }
        case '"' -> {
          return string();
        }
        case '=', ':' -> {
          i++;
          return new Token(Kind.OP, String.valueOf(c), start);
        }
        case '<', '>', '!' -> {
          i++;
          if (i < s.length() && s.charAt(i) == '=') {
            i++;
            return new Token(Kind.OP, c + "=", start);
          }
          if (c == '!') {
            throw error(start, "expected '!=' but found '!'");
          }
          return new Token(Kind.OP, String.valueOf(c), start);
        }
        default -> {}
      }
      if (c >= '0' && c <= '9') {
        return number();
      }
      if (Character.isLetter(c) || c == '_') {
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
          i++;
        }
        return new Token(Kind.WORD, s.substring(start, i), start);
      }
      throw error(start, "unexpected character '" + c + "'");
    }

    private Token number() {
      int start = i;
      digits();
      if (i < s.length() && s.charAt(i) == '.') {
        i++;
        if (digits() == 0) {
          throw error(i, "expected digits after the decimal point");
        }
      }
      if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
        i++;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
          i++;
        }
        if (digits() == 0) {
          throw error(i, "expected digits in the exponent");
        }
      }
      if (i < s.length() && (Character.isLetter(s.charAt(i)) || s.charAt(i) == '_')) {
        throw error(start, "malformed number '" + s.substring(start, i + 1) + "'");
      }
      return new Token(Kind.NUMBER, s.substring(start, i), start);
    }

    private int digits() {
      int start = i;
      while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        i++;
      }
      return i - start;
    }

    private Token string() {
      int start = i++;
      var out = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == '"') {
          return new Token(Kind.STRING, out.toString(), start);
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        if (i >= s.length()) {
          break;
        }
        char e = s.charAt(i++);
        switch (e) {
          case '"', '\\', '/' -> out.append(e);
          case 'n' -> out.append('\n');
          case 't' -> out.append('\t');
          case 'r' -> out.append('\r');
          default -> throw error(i - 2, "unknown escape '\\" + e + "' (expected \\\" \\\\ \\n \\t \\r)");
        }
      }
      throw error(start, "unterminated string (expected a closing '\"')");
    }
  }
}
