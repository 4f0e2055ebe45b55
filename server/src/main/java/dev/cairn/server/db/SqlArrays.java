package dev.cairn.server.db;

import java.util.Collection;
import java.util.UUID;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.jspecify.annotations.Nullable;

/**
 * Array bind values with SQL types made once. {@code DSL.val(array)} works the array's type out
 * from its class at every call, and jOOQ makes a new array {@link DataType} each time (about 3% of
 * a search's server CPU, where every statement binds a few arrays). The types are those
 * {@code DSL.val} infers, so the statements render exactly as before ({@code cast(? as varchar[])}).
 */
public final class SqlArrays {
  private static final DataType<String[]> TEXTS = SQLDataType.VARCHAR.array();
  private static final DataType<UUID[]> UUIDS = SQLDataType.UUID.array();
  private static final DataType<Double[]> DOUBLES = SQLDataType.DOUBLE.array();
  private static final DataType<Integer[]> INTEGERS = SQLDataType.INTEGER.array();
  private static final DataType<Boolean[]> BOOLEANS = SQLDataType.BOOLEAN.array();

  private SqlArrays() {}

  /** A text[] parameter; SQL NULL for a null collection. */
  public static Field<String[]> texts(@Nullable Collection<String> values) {
    return DSL.val(values == null ? null : values.toArray(String[]::new), TEXTS);
  }

  public static Field<UUID[]> uuids(Collection<UUID> values) {
    return DSL.val(values.toArray(UUID[]::new), UUIDS);
  }

  public static Field<Double[]> doubles(Collection<Double> values) {
    return DSL.val(values.toArray(Double[]::new), DOUBLES);
  }

  public static Field<Integer[]> integers(Collection<Integer> values) {
    return DSL.val(values.toArray(Integer[]::new), INTEGERS);
  }

  public static Field<Boolean[]> booleans(Collection<Boolean> values) {
    return DSL.val(values.toArray(Boolean[]::new), BOOLEANS);
  }
}
