package dev.cairn.server.vault.records;

import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static dev.cairn.server.db.jooq.Tables.RECORD_VALUES;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.vault.records.Filter.Op;
import dev.cairn.server.vault.records.Filter.Value;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * Turns a filter tree into a jOOQ condition on {@code cairn.items}: each restriction on a
 * record field becomes an EXISTS over {@code cairn.record_values} for the collection and
 * field (served by the (collection_id, field, value, item_id) indexes); every literal is a
 * bound parameter. Fields:
 *
 * <ul>
 *   <li>{@code data.<field>}: a queryable top-level field of the collection's schema;
 *   <li>{@code create_time}, {@code update_time}: the record's times (RFC 3339 strings);
 *   <li>{@code labels.<key>}: the record's label (=, !=, {@code :}).
 * </ul>
 *
 * {@code a != v} holds when {@code a} has a value and none of its values equals {@code v};
 * {@code a = null} when {@code a} has no value; {@code a:*} when it has one. {@code :} is
 * array membership for arrays and a case-insensitive substring match for strings.
 */
final class FilterSql {
  private final UUID collection;
  private final Map<String, QueryableField> queryable;

  FilterSql(UUID collection, Map<String, QueryableField> queryable) {
    this.collection = collection;
    this.queryable = queryable;
  }

  Condition condition(Filter filter) {
    return switch (filter) {
      case Filter.And and -> DSL.and(and.parts().stream().map(this::condition).toList());
      case Filter.Or or -> DSL.or(or.parts().stream().map(this::condition).toList());
      case Filter.Not not -> DSL.not(condition(not.inner()));
      case Filter.Compare compare -> compare(compare);
    };
  }

  private Condition compare(Filter.Compare c) {
    String field = c.field();
    if (field.equals("create_time")) {
      return time(ITEMS.CREATED_AT, c);
    }
    if (field.equals("update_time")) {
      return time(ITEMS.UPDATED_AT, c);
    }
    if (field.startsWith("labels.") && field.indexOf('.', 7) < 0) {
      return label(field.substring(7), c);
    }
    if (field.startsWith("data.")) {
      String name = field.substring(5);
      QueryableField q = queryable.get(name);
      if (q == null) {
        throw invalid(c, field + " is not a queryable field of this collection (queryable: "
            + (queryable.isEmpty() ? "none; list fields in the schema's \"x-cairn-queryable\"" : String.join(", ", queryable.keySet().stream().sorted().toList())) + ")");
      }
      return data(q, c);
    }
    throw invalid(c, "unknown field " + field + " (expected data.<field>, labels.<key>, create_time or update_time)");
  }

  // ------------------------------------------------------------------ record fields

  private Condition data(QueryableField q, Filter.Compare c) {
    Value v = c.value();
    if (v instanceof Value.Null) {
      return switch (c.op()) {
        case EQ -> DSL.notExists(values(q, DSL.noCondition()));
        case NE -> DSL.exists(values(q, DSL.noCondition()));
        default -> throw invalid(c, "null can only be compared with = or !=");
      };
    }
    if (v instanceof Value.Any) {
      if (c.op() != Op.HAS) {
        throw invalid(c, "* can only be used with ':' (" + c.field() + ":*)");
      }
      return DSL.exists(values(q, DSL.noCondition()));
    }
    if (c.op() == Op.NE) {
      return DSL.exists(values(q, DSL.noCondition())).andNotExists(values(q, match(q, Op.EQ, c)));
    }
    return DSL.exists(values(q, match(q, c.op(), c)));
  }

  private org.jooq.Select<?> values(QueryableField q, Condition match) {
    return DSL.selectOne()
        .from(RECORD_VALUES)
        .where(RECORD_VALUES.COLLECTION_ID.eq(collection))
        .and(RECORD_VALUES.FIELD.eq(q.name()))
        .and(RECORD_VALUES.ITEM_ID.eq(ITEMS.ID))
        .and(match);
  }

  /** The condition on one record_values row for {@code field op value}. */
  private Condition match(QueryableField q, Op op, Filter.Compare c) {
    Value v = c.value();
    switch (v) {
      case Value.Number n -> {
        requireType(q, c, QueryableField.Type.NUMBER, "a number");
        return compare(RECORD_VALUES.NUM_VALUE, op == Op.HAS ? Op.EQ : op, n.number());
      }
      case Value.Bool b -> {
        requireType(q, c, QueryableField.Type.BOOLEAN, "true or false");
        if (op != Op.EQ && op != Op.HAS) {
          throw invalid(c, "true and false can only be compared with =, != or ':'");
        }
        return RECORD_VALUES.BOOL_VALUE.eq(b.bool());
      }
      case Value.Text t -> {
        return text(q, op, t.text(), c);
      }
      default -> throw new IllegalStateException("handled by the caller: " + v);
    }
  }

  private Condition text(QueryableField q, Op op, String text, Filter.Compare c) {
    if (q.type() == QueryableField.Type.DATE_TIME) {
      return compare(RECORD_VALUES.TIME_VALUE, op == Op.HAS ? Op.EQ : op, timestamp(text, c));
    }
    requireType(q, c, QueryableField.Type.STRING, "a \"string\"");
    if (op == Op.HAS && !q.array()) {
      // substring, case-insensitive; the pg_trgm GIN index serves it for 3+ characters
      return RECORD_VALUES.TEXT_VALUE.likeIgnoreCase("%" + escapeLike(text) + "%", '\\');
    }
    return compare(RECORD_VALUES.TEXT_VALUE, op == Op.HAS ? Op.EQ : op, text);
  }

  private static void requireType(QueryableField q, Filter.Compare c, QueryableField.Type type, String literal) {
    if (q.type() != type && q.type() != QueryableField.Type.ANY) {
      throw invalid(c, c.field() + " holds " + describe(q) + " values; " + literal + " cannot match them");
    }
  }

  private static String describe(QueryableField q) {
    return switch (q.type()) {
      case NUMBER -> "number";
      case STRING -> "string";
      case DATE_TIME -> "date-time (RFC 3339 string)";
      case BOOLEAN -> "boolean";
      case ANY -> "untyped";
    };
  }

  // ------------------------------------------------------------------ item columns

  private static Condition time(Field<OffsetDateTime> column, Filter.Compare c) {
    if (!(c.value() instanceof Value.Text t) || c.op() == Op.HAS) {
      throw invalid(c, c.field() + " compares with =, !=, <, <=, >, >= and an RFC 3339 timestamp in quotes, e.g. \"2024-05-01T00:00:00Z\"");
    }
    return compare(column, c.op(), timestamp(t.text(), c));
  }

  private static Condition label(String key, Filter.Compare c) {
    Field<String> value = DSL.jsonbGetAttributeAsText(ITEMS.LABELS, DSL.val(key));
    return switch (c.value()) {
      case Value.Any any when c.op() == Op.HAS -> value.isNotNull();
      case Value.Null n when c.op() == Op.EQ -> value.isNull();
      case Value.Null n when c.op() == Op.NE -> value.isNotNull();
      case Value.Text t when c.op() == Op.EQ || c.op() == Op.HAS -> value.eq(t.text());
      case Value.Text t when c.op() == Op.NE -> value.ne(t.text());
      default -> throw invalid(c, "labels compare with =, != or ':' and a \"string\", or labels.<key>:*");
    };
  }

  private static <T> Condition compare(Field<T> column, Op op, T value) {
    return switch (op) {
      case EQ, HAS -> column.eq(value);
      case NE -> column.ne(value);
      case LT -> column.lt(value);
      case LE -> column.le(value);
      case GT -> column.gt(value);
      case GE -> column.ge(value);
    };
  }

  private static OffsetDateTime timestamp(String text, Filter.Compare c) {
    try {
      return OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw invalid(c, "\"" + text + "\" is not an RFC 3339 timestamp (expected e.g. \"2024-05-01T00:00:00Z\")");
    }
  }

  static String escapeLike(String text) {
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  private static CairnException invalid(Filter.Compare c, String message) {
    return CairnException.invalidField("filter", "at position " + c.position() + ": " + message);
  }
}
