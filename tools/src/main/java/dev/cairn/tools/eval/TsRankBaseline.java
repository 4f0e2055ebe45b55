package dev.cairn.tools.eval;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The plain PostgreSQL baseline over the chunks Cairn indexed (cairn.search_chunks, V18): each
 * document ranked by the best {@code ts_rank} of its chunks, as the database owner (no RLS, the
 * owner given explicitly). Two query forms: {@code websearch_to_tsquery} as written (every word
 * required, as Cairn's EXACT stage) and the same lexemes OR-ed (how the published ts_rank figure
 * on SciFact was made).
 */
final class TsRankBaseline implements AutoCloseable {
  enum Form { WEBSEARCH, OR }

  private static final String SQL = """
      SELECT c.item_id, max(ts_rank(c.tsv, q.q)) AS r
        FROM cairn.search_chunks c,
             (SELECT %s AS q) q
       WHERE c.owner_id = ? AND c.tsv @@ q.q
       GROUP BY c.item_id
       ORDER BY r DESC, c.item_id
       LIMIT ?""";
  private static final String WEBSEARCH = "websearch_to_tsquery('english', ?)";
  // websearch's output for plain words is 'a' & 'b' & …: OR them; the lexemes are normalised already
  private static final String OR = "nullif(replace(websearch_to_tsquery('english', ?)::text, ' & ', ' | '), '')::tsquery";

  private final Connection connection;
  private final UUID owner;

  TsRankBaseline(String jdbc, String user, String password, UUID owner) throws SQLException {
    this.connection = DriverManager.getConnection(jdbc, user, password);
    this.owner = owner;
  }

  List<UUID> rank(String query, Form form, int depth) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(SQL.formatted(form == Form.OR ? OR : WEBSEARCH))) {
      ps.setString(1, query);
      ps.setObject(2, owner);
      ps.setInt(3, depth);
      List<UUID> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getObject(1, UUID.class));
        }
      }
      return out;
    }
  }

  long chunks() throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM cairn.search_chunks WHERE owner_id = ?")) {
      ps.setObject(1, owner);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
