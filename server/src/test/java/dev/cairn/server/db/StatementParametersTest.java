package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Database.statement runs the caller's set_config and the statement as one implicit
 * transaction, up to one Sync. A parameter pgjdbc cannot type (a null, a java.sql.Timestamp)
 * makes it describe the statement first, once server-prepared, with a Sync of its own: that
 * Sync ends the locals' transaction and the statement runs without the caller's identity. Such
 * parameters are refused before anything is sent; typed ones run under the caller's identity.
 */
class StatementParametersTest {
  /** More than pgjdbc's prepareThreshold (5) uses on every pooled connection the loop meets. */
  private static final int CALLS = 40;
  private static final String WHO = "select current_setting('cairn.user_id', true), cast(? as text)";
  private static final String WHO_AT = "select current_setting('cairn.user_id', true), cast(? as timestamptz)";
  private static final String WHO_AND_TYPE = "select current_setting('cairn.user_id', true), pg_typeof(?)::text";
  private static final int CALLS_PER_TYPE = 8;
  private static final String FLOAT_TYPE = "real";
  private static final String STRING_ARRAY_TYPE = "character varying[]";

  private final CairnTestServer cairn = CairnTestServer.get();
  private final Database app = cairn.server().database();

  private Principal newCaller(String name) {
    var user = cairn.newUser(name);
    return Principal.user(UUID.fromString(user.id()), UUID.randomUUID(), Set.of(Principal.Scope.READ));
  }

  @Test
  void aNullParameterIsRefusedOnEveryCall() {
    Principal alice = newCaller("params-null");
    for (int i = 0; i < CALLS; i++) {
      assertThatThrownBy(() -> app.statement(alice, WHO, p -> p.set(1, null), rows -> rows.next() ? rows.getString(1) : null))
          .as("call %d", i)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("statement parameter 1: null");
    }
  }

  @Test
  void aParameterPgjdbcSendsUntypedIsRefused() {
    Principal alice = newCaller("params-timestamp");
    Timestamp now = Timestamp.from(java.time.Instant.now());
    for (int i = 0; i < CALLS; i++) {
      assertThatThrownBy(() -> app.statement(alice, WHO_AT, p -> p.set(1, now), rows -> rows.next() ? rows.getString(1) : null))
          .as("call %d", i)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("java.sql.Timestamp");
    }
  }

  @Test
  void everyAcceptedTypeIsBoundTypedAndRunsUnderTheCallersIdentity() {
    Principal alice = newCaller("params-typed");
    // each value, and the type PostgreSQL was told it has (pgjdbc 42.7's choice; never "unknown")
    Map<Object, String> samples = new LinkedHashMap<>();
    samples.put("x", "character varying");
    samples.put(UUID.randomUUID(), "uuid");
    samples.put(7L, "bigint");
    samples.put(7, "integer");
    samples.put((short) 7, "smallint");
    samples.put(true, "boolean");
    samples.put(7.5d, "double precision");
    samples.put(7.5f, FLOAT_TYPE);
    samples.put(new BigDecimal("7.5"), "numeric");
    samples.put(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC), "timestamp with time zone");
    samples.put(LocalDateTime.of(2026, 1, 2, 3, 4, 5), "timestamp without time zone");
    samples.put(LocalDate.of(2026, 1, 2), "date");
    samples.put(new byte[] {1}, "bytea");
    samples.put(new byte[][] {{1}}, "bytea[]");
    samples.put(new String[] {"x"}, STRING_ARRAY_TYPE);
    samples.put(new long[] {7}, "bigint[]");
    samples.put(new int[] {7}, "integer[]");
    samples.put(new short[] {7}, "smallint[]");
    samples.put(new double[] {7.5}, "double precision[]");
    samples.put(new float[] {7.5f}, "real[]");
    samples.put(new boolean[] {true}, "boolean[]");
    samples.forEach((value, type) -> {
      for (int i = 0; i < CALLS_PER_TYPE; i++) {
        List<String> seen = app.statement(alice, WHO_AND_TYPE, p -> p.set(1, value),
            rows -> rows.next() ? List.of(rows.getString(1), rows.getString(2)) : List.of());
        assertThat(seen).as("%s, call %d", value.getClass().getSimpleName(), i)
            .containsExactly(String.valueOf(alice.userId()), type);
      }
    });
  }
}
