package dev.cairn.server.testing;

import dev.cairn.server.db.Database;
import dev.cairn.server.db.DatabaseBootstrap;
import dev.cairn.server.db.EmbeddedDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One real PostgreSQL for the whole test JVM: an embedded server in a temporary folder,
 * migrated once, with the least-privilege application role the server uses. Tests create
 * their own users, so they never see each other's rows and need no cleanup.
 */
public final class TestDatabase {
  public static final String APP_ROLE = "cairn_app";
  public static final String APP_PASSWORD = "cairn-app-test-password";

  private static volatile TestDatabase instance;

  private final EmbeddedDatabase embedded;
  private final Database app;

  private TestDatabase(EmbeddedDatabase embedded) {
    this.embedded = embedded;
    var bootstrap = new DatabaseBootstrap(embedded.jdbcUrl(), "postgres", "");
    bootstrap.ensureAppRole(APP_ROLE, APP_PASSWORD);
    bootstrap.migrate(APP_ROLE);
    this.app = new Database(embedded.jdbcUrl(), APP_ROLE, APP_PASSWORD, 8, new SimpleMeterRegistry(), java.time.Clock.systemUTC());
  }

  public static TestDatabase get() {
    TestDatabase db = instance;
    if (db == null) {
      synchronized (TestDatabase.class) {
        db = instance;
        if (db == null) {
          db = new TestDatabase(EmbeddedDatabase.start(tempDir(), 0));
          instance = db;
          Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
      }
    }
    return db;
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("cairn-test-pg");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JDBC URL of the migrated database; the owner is {@code postgres} with no password. */
  /**
   * A connection as the application role (no Cairn code in between), in a transaction for
   * {@code user}: what an intruder holding the app role's password could do.
   */
  public static java.sql.Connection appRoleAs(java.util.UUID user) throws java.sql.SQLException {
    java.sql.Connection c = java.sql.DriverManager.getConnection(get().url(), APP_ROLE, APP_PASSWORD);
    c.setAutoCommit(false);
    try (var st = c.prepareStatement("SELECT set_config('cairn.user_id', ?, true)")) {
      st.setString(1, user.toString());
      st.execute();
    }
    return c;
  }

  public String url() {
    return embedded.jdbcUrl();
  }

  /** The pool as the application role, as the server uses it. */
  public Database app() {
    return app;
  }

  private void stop() {
    app.close();
    embedded.close();
  }
}
