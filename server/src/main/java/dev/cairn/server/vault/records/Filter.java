package dev.cairn.server.vault.records;

import java.math.BigDecimal;
import java.util.List;

/**
 * The syntax tree of a QueryRecords filter (an AIP-160 subset), as {@link FilterParser}
 * produces it. Field names are kept as written; {@link FilterSql} resolves them against the
 * collection's queryable fields.
 */
sealed interface Filter {

  /** Every part holds. */
  record And(List<Filter> parts) implements Filter {
    public And {
      parts = List.copyOf(parts);
    }
  }

  /** At least one part holds. */
  record Or(List<Filter> parts) implements Filter {
    public Or {
      parts = List.copyOf(parts);
    }
  }

  /** The inner filter does not hold (`NOT x` or `-x`). */
  record Not(Filter inner) implements Filter {}

  /**
   * One restriction, e.g. {@code data.age >= 18}.
   *
   * @param position 0-based offset of the field in the filter text, for error messages
   */
  record Compare(String field, Op op, Value value, int position) implements Filter {}

  /** Comparators. */
  enum Op {
    EQ("="),
    NE("!="),
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">="),
    HAS(":");

    final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }
  }

  /** Literals. */
  sealed interface Value {
    /** A quoted string, or a bare word that is not a keyword. */
    record Text(String text) implements Value {}

    record Number(BigDecimal number) implements Value {}

    record Bool(boolean bool) implements Value {}

    /** {@code null}: the field has no value. */
    record Null() implements Value {}

    /** {@code *}: with {@code :}, the field has any value. */
    record Any() implements Value {}
  }
}
