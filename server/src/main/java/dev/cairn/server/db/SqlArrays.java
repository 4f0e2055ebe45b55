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

  public static Field<String[]> texts(String @Nullable [] values) {
    return DSL.val(values, TEXTS);
  }

  public static Field<String[]> texts(Collection<String> values) {
    return texts(values.toArray(String[]::new));
  }

  public static Field<UUID[]> uuids(UUID[] values) {
    return DSL.val(values, UUIDS);
  }

  public static Field<UUID[]> uuids(Collection<UUID> values) {
    return uuids(values.toArray(UUID[]::new));
  }

  public static Field<Double[]> doubles(Double[] values) {
    return DSL.val(values, DOUBLES);
  }

  public static Field<Double[]> doubles(Collection<Double> values) {
    return doubles(values.toArray(Double[]::new));
  }

  public static Field<Integer[]> integers(Integer[] values) {
    return DSL.val(values, INTEGERS);
  }

  public static Field<Integer[]> integers(Collection<Integer> values) {
    return integers(values.toArray(Integer[]::new));
  }

  public static Field<Boolean[]> booleans(Boolean[] values) {
    return DSL.val(values, BOOLEANS);
  }
}
