package dev.cairn.server.vault.records;

import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static dev.cairn.server.db.jooq.Tables.RECORD_VALUES;

import dev.cairn.server.core.CairnException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.SortField;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * The one sort key of a QueryRecords page (then the item id, in the same direction, to
 * break ties): {@code create_time}, {@code update_time} or a typed queryable field
 * {@code data.<field>} (an array sorts by its smallest element; records without the field
 * come last in either direction). Knows how to write its value into a page token and how
 * to seek past it.
 *
 * @param spec the normalised order_by text, bound into page tokens
 */
record SortKey<T>(
    String spec, Field<T> field, boolean desc, boolean nullable, Function<T, String> encode, Function<String, T> decode) {

  static final String DEFAULT = "create_time desc";

  /** Parses {@code order_by}; INVALID_ARGUMENT names what is accepted. */
  static SortKey<?> parse(String orderBy, UUID collection, Map<String, QueryableField> queryable) {
    String text = orderBy.isBlank() ? DEFAULT : orderBy.strip();
    if (text.contains(",")) {
      throw invalid("'" + orderBy + "' (expected one sort key; ties are broken by name)");
    }
    String[] parts = text.split("\\s+");
    if (parts.length > 2 || (parts.length == 2 && !parts[1].matches("(?i)asc|desc"))) {
      throw invalid("'" + orderBy + "' (expected '<field>' or '<field> asc|desc')");
    }
    boolean desc = parts.length == 2 && parts[1].equalsIgnoreCase("desc");
    String spec = parts[0] + (desc ? " desc" : " asc");
    return switch (parts[0]) {
      case "create_time" -> time(spec, ITEMS.CREATED_AT, desc, false);
      case "update_time" -> time(spec, ITEMS.UPDATED_AT, desc, false);
      default -> field(parts[0], spec, desc, collection, queryable);
    };
  }

  private static SortKey<?> field(
      String name, String spec, boolean desc, UUID collection, Map<String, QueryableField> queryable) {
    QueryableField q = name.startsWith("data.") ? queryable.get(name.substring(5)) : null;
    if (q == null) {
      throw invalid("'" + name + "' (expected create_time, update_time or data.<queryable field>; queryable: "
          + String.join(", ", queryable.keySet().stream().sorted().toList()) + ")");
    }
    return switch (q.type()) {
      case NUMBER -> new SortKey<>(spec, smallest(RECORD_VALUES.NUM_VALUE, collection, q), desc, true,
          BigDecimal::toPlainString, BigDecimal::new);
      case STRING -> new SortKey<>(spec, smallest(RECORD_VALUES.TEXT_VALUE, collection, q), desc, true,
          SortKey::b64, SortKey::unb64);
      case DATE_TIME -> time(spec, smallest(RECORD_VALUES.TIME_VALUE, collection, q), desc, true);
      case BOOLEAN -> new SortKey<>(spec, smallest(RECORD_VALUES.BOOL_VALUE, collection, q), desc, true,
          String::valueOf, Boolean::valueOf);
      case ANY -> throw invalid("'" + name + "' has no declared type in the schema, so it cannot be sorted");
    };
  }

  private static SortKey<OffsetDateTime> time(String spec, Field<OffsetDateTime> f, boolean desc, boolean nullable) {
    return new SortKey<>(spec, f, desc, nullable,
        t -> t.toInstant().getEpochSecond() + "." + t.toInstant().getNano(),
        s -> {
          String[] p = s.split("\\.", 2);
          return OffsetDateTime.ofInstant(Instant.ofEpochSecond(Long.parseLong(p[0]), Long.parseLong(p[1])), ZoneOffset.UTC);
        });
  }

  /** The record's smallest value of the field (arrays have several), as a scalar subquery. */
  private static <V> Field<V> smallest(Field<V> column, UUID collection, QueryableField q) {
    return DSL.field(
        DSL.select(DSL.min(column))
            .from(RECORD_VALUES)
            .where(RECORD_VALUES.COLLECTION_ID.eq(collection))
            .and(RECORD_VALUES.FIELD.eq(q.name()))
            .and(RECORD_VALUES.ITEM_ID.eq(ITEMS.ID)));
  }

  SortField<?>[] orderBy() {
    return desc
        ? new SortField<?>[] {field.desc().nullsLast(), ITEMS.ID.desc()}
        : new SortField<?>[] {field.asc().nullsLast(), ITEMS.ID.asc()};
  }

  /** Rows after the one with sort value {@code value} and id {@code id}, in this order. */
  Condition after(@Nullable T value, UUID id) {
    Condition laterId = desc ? ITEMS.ID.lt(id) : ITEMS.ID.gt(id);
    if (value == null) {
      return field.isNull().and(laterId);
    }
    Condition later = desc ? field.lt(value) : field.gt(value);
    Condition tie = field.eq(value).and(laterId);
    return nullable ? later.or(tie).or(field.isNull()) : later.or(tie);
  }

  String write(@Nullable Object value) {
    @SuppressWarnings("unchecked")
    T typed = (T) value;
    return typed == null ? "~" : "=" + encode.apply(typed);
  }

  @Nullable T read(String text) {
    if (text.equals("~")) {
      return null;
    }
    if (!text.startsWith("=")) {
      throw new IllegalArgumentException(text);
    }
    return decode.apply(text.substring(1));
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String unb64(String s) {
    return new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
  }

  private static CairnException invalid(String message) {
    return CairnException.invalidField("order_by", message);
  }
}
