package dev.cairn.server.vault.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/**
 * "Indexes that make it fast": the SQL QueryRecords generates for a range filter is served
 * by an index on record_values, not a sequential scan of it.
 */
class QueryPlanTest {
  static final RecordFixture fixture = new RecordFixture();

  @Test
  void rangeQueryUsesARecordValuesIndex() throws SQLException {
    TestUser owner = fixture.server.newUser("plan");
    UUID ownerId = UUID.fromString(owner.id());
    UUID collection = fixture.collection(owner,
        "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"},\"s\":{\"type\":\"string\"}},\"x-cairn-queryable\":[\"n\",\"s\"]}");
    try (Connection db = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "")) {
      fill(db, ownerId, collection, 2500);
      try (var analyze = db.createStatement()) {
        analyze.execute("ANALYZE cairn.items");
        analyze.execute("ANALYZE cairn.record_values");
      }
      String plan = explain(db, ownerId, renderQuery(owner, ownerId, collection, "data.n >= 100 AND data.n < 120"));
      System.out.println("QueryRecords plan for a range filter:\n" + plan);
      assertThat(plan).as("plan:\n%s", plan).contains("record_values_num_idx").doesNotContain("Seq Scan on record_values");
    }
  }

  /**
   * 2 500 records of one owner with two indexed values each, inserted in one statement per
   * table. Rows for the planner's statistics, not a fixture of behaviour: only the plan is
   * asserted, and 2 500 CreateItem calls would cost most of a minute for the same plan.
   */
  private static void fill(Connection db, UUID owner, UUID collection, int count) throws SQLException {
    try (PreparedStatement items = db.prepareStatement("""
            INSERT INTO cairn.items (id, owner_id, kind, collection_id, media_type, current_version, created_at)
            SELECT md5(? || g)::uuid, ?, 'RECORD', ?, 'application/json', 1, now() - g * interval '1 second'
              FROM generate_series(1, ?) g""");
        PreparedStatement values = db.prepareStatement("""
            INSERT INTO cairn.record_values (owner_id, collection_id, item_id, field, num_value, text_value)
            SELECT ?, ?, md5(? || g)::uuid, f, CASE f WHEN 'n' THEN g END, CASE f WHEN 's' THEN 'v' || g END
              FROM generate_series(1, ?) g, unnest(ARRAY['n', 's']) f""")) {
      items.setString(1, collection.toString());
      items.setObject(2, owner);
      items.setObject(3, collection);
      items.setInt(4, count);
      items.executeUpdate();
      values.setObject(1, owner);
      values.setObject(2, collection);
      values.setString(3, collection.toString());
      values.setInt(4, count);
      values.executeUpdate();
    }
  }

  /** The exact SQL QueryRecords runs for {@code filter}, with its parameters inlined for EXPLAIN. */
  private static String renderQuery(TestUser owner, UUID ownerId, UUID collection, String filter) {
    var info = new CollectionInfo(collection, ownerId, "plan", "", "", List.of("n", "s"), 1,
        OffsetDateTime.now(), OffsetDateTime.now());
    var queryable = Map.of(
        "n", new QueryableField("n", QueryableField.Type.NUMBER, false),
        "s", new QueryableField("s", QueryableField.Type.STRING, false));
    var condition = new FilterSql(collection, queryable).condition(FilterParser.parse(filter));
    var dsl = DSL.using(SQLDialect.POSTGRES, new Settings().withRenderSchema(true));
    var query = new RecordQueryRepository().select(
        dsl, Principal.system(ownerId), info, condition, SortKey.parse("", collection, queryable), null, 51);
    return dsl.renderInlined(query);
  }

  private static String explain(Connection db, UUID owner, String sql) throws SQLException {
    var plan = new StringBuilder();
    try (var st = db.createStatement()) {
      st.execute("SELECT set_config('cairn.user_id', '" + owner + "', false)");
      try (ResultSet rs = st.executeQuery("EXPLAIN " + sql)) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
    }
    return plan.toString();
  }
}
