package dev.cairn.server.app;

import dev.cairn.server.config.CairnConfig;
import dev.cairn.server.db.DatabaseBootstrap;
import java.io.PrintStream;
import java.util.Objects;
import org.flywaydb.core.api.FlywayException;

/**
 * {@code java -jar cairn-server.jar migrate}: prepares the database at {@code CAIRN_DATABASE_URL}
 * (the application role, then the Flyway migrations) and exits, so a deployment migrates once,
 * before its replicas start with {@code CAIRN_DATABASE_MIGRATE=false} (the Helm chart's hook Job).
 * Starts nothing else: no port, no pool, no model.
 */
final class MigrateCommand {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  private MigrateCommand() {}

  /** Returns the process's exit code; says what happened on {@code out}, or why not on {@code err}. */
  static int run(CairnConfig config, PrintStream out, PrintStream err) {
    var db = config.database();
    if (db.embedded()) {
      err.println("cairn migrate: CAIRN_DATABASE_URL is not set (the embedded database is migrated by the server"
          + " itself at start; migrate is for an external PostgreSQL)");
      return USAGE;
    }
    var bootstrap = new DatabaseBootstrap(Objects.requireNonNull(db.url()), db.ownerUser(), db.ownerPassword());
    try {
      bootstrap.ensureAppRole(db.appUser(), Objects.requireNonNull(db.appPassword()));
      var result = bootstrap.migrateTo(db.appUser());
      String from = result.initialSchemaVersion == null ? "empty" : "version " + result.initialSchemaVersion;
      out.println(result.migrationsExecuted == 0
          ? "cairn migrate: the database is up to date at version " + result.initialSchemaVersion
          : "cairn migrate: applied " + result.migrationsExecuted + " migrations (" + from + " -> version "
              + result.targetSchemaVersion + ")");
      return OK;
    } catch (FlywayException | IllegalStateException e) {
      err.println("cairn migrate: failed against " + db.url() + " as " + db.ownerUser() + ": " + describe(e));
      return FAILED;
    }
  }

  /** The failure and its causes on one line: what an operator reads in the Job's log. */
  private static String describe(Throwable e) {
    var out = new StringBuilder(String.valueOf(e.getMessage()).strip());
    for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) {
      String message = c.getMessage();
      if (message != null && !out.toString().contains(message.strip())) {
        out.append(" <- ").append(message.strip());
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return out.toString().replaceAll("\\s*\\R\\s*", " ");
  }
}
