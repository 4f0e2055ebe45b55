package dev.cairn.server.db;

import java.sql.SQLException;

/** A JDBC failure outside jOOQ (connecting, committing); mapped like jOOQ's exceptions. */
public final class DataAccessFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DataAccessFailure(SQLException cause) {
    super(cause.getMessage(), cause);
  }
}
