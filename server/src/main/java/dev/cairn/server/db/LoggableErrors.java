package dev.cairn.server.db;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.Collections;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Throwables fit for a log line. PostgreSQL quotes the data a statement failed on: in the
 * message ({@code invalid input syntax for type numeric: "…"}), the DETAIL ({@code Failing row
 * contains (…)}, {@code Key (…)=(…)}) and the CONTEXT ({@code JSON data, line 1: …}); those are
 * labels, record values and names, the owners' data. {@link #scrub} keeps a failure's shape
 * (classes, stack frames, SQLSTATE, and the schema, table, column, constraint and routine it
 * names) and drops every message that carries the database's text.
 */
public final class LoggableErrors {
  private static final int MAX_DEPTH = 32;

  private LoggableErrors() {}

  /** A failure logged in place of another, with its class and stack but a safe message. */
  static final class Scrubbed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Scrubbed(String message, @Nullable Throwable cause) {
      super(message, cause, false, true);
    }
  }

  /** {@code t} itself when no database error is in its chain, else a copy without the data. */
  public static Throwable scrub(Throwable t) {
    List<Throwable> chain = chain(t);
    int lastSql = -1;
    for (int i = 0; i < chain.size(); i++) {
      if (chain.get(i) instanceof SQLException) {
        lastSql = i;
      }
    }
    if (lastSql < 0) {
      return t;
    }
    Throwable copy = null;
    for (int i = chain.size() - 1; i >= 0; i--) {
      Throwable original = chain.get(i);
      // wrappers above a database error copy its message into theirs (jOOQ: "SQL [...]; ERROR: ...")
      String message = original instanceof SQLException sql ? describe(sql)
          : i < lastSql ? withheld(original.getMessage())
          : String.valueOf(original.getMessage());
      var scrubbed = new Scrubbed(original.getClass().getName() + ": " + message, copy);
      scrubbed.setStackTrace(original.getStackTrace());
      copy = scrubbed;
    }
    return copy;
  }

  /** The SQLSTATE and the names of what failed; never the server's message or detail. */
  static String describe(SQLException e) {
    var out = new StringBuilder("SQLSTATE ").append(e.getSQLState());
    ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
    if (server != null) {
      name(out, "table", qualified(server.getSchema(), server.getTable()));
      name(out, "column", server.getColumn());
      name(out, "constraint", server.getConstraint());
      name(out, "type", server.getDatatype());
      name(out, "routine", server.getRoutine());
    }
    return out.append(" (message withheld: it may quote data)").toString();
  }

  /** jOOQ's "SQL [statement with ? binds]; <database message>": the statement stays. */
  private static String withheld(@Nullable String message) {
    if (message != null && message.startsWith("SQL [")) {
      int end = message.indexOf("]; ");
      if (end > 0) {
        return message.substring(0, end + 1) + " (database message withheld)";
      }
    }
    return "(message withheld: it quotes a database error)";
  }

  private static @Nullable String qualified(@Nullable String schema, @Nullable String table) {
    return table == null ? null : schema == null ? table : schema + "." + table;
  }

  private static void name(StringBuilder out, String what, @Nullable String value) {
    if (value != null && !value.isEmpty()) {
      out.append(", ").append(what).append(' ').append(value);
    }
  }

  private static List<Throwable> chain(Throwable t) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Throwable> chain = new ArrayList<>();
    for (Throwable c = t; c != null && chain.size() < MAX_DEPTH && seen.add(c); c = c.getCause()) {
      chain.add(c);
    }
    return chain;
  }
}
