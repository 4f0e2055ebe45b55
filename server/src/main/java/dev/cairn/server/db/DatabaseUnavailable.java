package dev.cairn.server.db;

import dev.cairn.server.core.CairnException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.jspecify.annotations.Nullable;

/**
 * Recognises a database that is down or out of connections anywhere in a cause chain, for work
 * that runs outside a gRPC call (a detached chat answer) and so never reaches the ErrorMapper,
 * which makes the same judgement for calls: it must end UNAVAILABLE (retryable), not INTERNAL.
 */
public final class DatabaseUnavailable {
  private DatabaseUnavailable() {}

  /** UNAVAILABLE when {@code t} was caused by the database being unreachable, else null. */
  public static @Nullable CairnException of(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLTransientConnectionException
          || (c instanceof SQLException sql && sql.getSQLState() != null
              && (sql.getSQLState().startsWith("08") || sql.getSQLState().equals("57P01")
                  || sql.getSQLState().equals("53300")))) {
        return CairnException.unavailable("the database is unavailable; retry later");
      }
    }
    return null;
  }
}
