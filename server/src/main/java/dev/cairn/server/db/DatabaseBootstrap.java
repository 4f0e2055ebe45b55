package dev.cairn.server.db;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares a database for the server, as the schema owner: makes sure the least-privilege
 * application role exists (LOGIN, NOBYPASSRLS, nothing more) and applies the Flyway
 * migrations, which grant that role exactly what it needs table by table.
 */
public final class DatabaseBootstrap {
  private static final Logger log = LoggerFactory.getLogger(DatabaseBootstrap.class);

  private final String url;
  private final String ownerUser;
  private final String ownerPassword;

  public DatabaseBootstrap(String url, String ownerUser, String ownerPassword) {
    this.url = requireNonNull(url, "url");
    this.ownerUser = requireNonNull(ownerUser, "ownerUser");
    this.ownerPassword = requireNonNull(ownerPassword, "ownerPassword");
  }

  /** Creates the role if missing; when it exists, sets the password (keeps config the truth). */
  public void ensureAppRole(String role, String password) {
    requireNonNull(role, "role");
    requireNonNull(password, "password");
    try (Connection c = DriverManager.getConnection(url, ownerUser, ownerPassword)) {
      boolean exists;
      try (var q = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
        q.setString(1, role);
        try (var rs = q.executeQuery()) {
          exists = rs.next();
        }
      }
      // Role and password go through format(%I, %L): quoted by PostgreSQL itself.
      String ddl;
      try (var q =
          c.prepareStatement(
              exists
                  ? "SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB"
                      + " NOCREATEROLE PASSWORD %L', ?::text, ?::text)"
                  : "SELECT format('CREATE ROLE %I WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB"
                      + " NOCREATEROLE PASSWORD %L', ?::text, ?::text)")) {
        q.setString(1, role);
        q.setString(2, password);
        try (var rs = q.executeQuery()) {
          rs.next();
          ddl = rs.getString(1);
        }
      }
      try (var s = c.createStatement()) {
        s.execute(ddl);
      }
      log.info("application role {} {}", role, exists ? "updated" : "created");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not create or update the application role " + role
              + " (the database user needs CREATEROLE, or create the role beforehand)",
          e);
    }
  }

  /** Applies pending migrations; returns how many ran. */
  public int migrate(String appRole) {
    return migrateTo(appRole).migrationsExecuted;
  }

  /** Applies pending migrations; returns Flyway's account of them (versions before and after). */
  public MigrateResult migrateTo(String appRole) {
    var result = flyway(appRole).migrate();
    log.info("database migrations applied: {}", result.migrationsExecuted);
    return result;
  }

  /**
   * Checks, without changing anything, that every migration this build knows has been applied
   * (by the {@code migrate} command or a migration Job). A schema newer than this build passes:
   * during a rolling upgrade the old replicas keep serving on the migrated schema.
   *
   * @throws NotMigratedException naming what is pending and how to apply it
   */
  public void requireMigrated(String appRole) {
    MigrationInfoService info = flyway(appRole).info();
    MigrationInfo[] pending = info.pending();
    if (pending.length == 0) {
      return;
    }
    MigrationInfo current = info.current();
    throw new NotMigratedException("the database is not migrated: " + pending.length + " migration"
        + (pending.length == 1 ? "" : "s") + " pending (schema at "
        + (current == null ? "no version, empty" : "version " + current.getVersion())
        + "; this build needs version " + pending[pending.length - 1].getVersion()
        + "). CAIRN_DATABASE_MIGRATE=false: run `java -jar cairn-server.jar migrate` (the Helm chart's migration Job) first");
  }

  /** The schema is behind this build and the server was told not to migrate it. */
  public static final class NotMigratedException extends IllegalStateException {
    NotMigratedException(String message) {
      super(message);
    }
  }

  private Flyway flyway(String appRole) {
    return Flyway.configure()
        .dataSource(url, ownerUser, ownerPassword)
        .schemas("cairn")
        .locations("classpath:db/migration")
        .placeholders(Map.of("app_role", appRole))
        .load();
  }

  /**
   * Warns when the database may lose writes Cairn has acknowledged (an external server set up
   * for speed, not safety). Cairn does not override the server's settings: that is the
   * operator's decision, but it must be a visible one.
   */
  public void warnIfNotDurable() {
    try (Connection c = DriverManager.getConnection(url, ownerUser, ownerPassword)) {
      List<String> unsafe = unsafeDurabilitySettings(c);
      if (!unsafe.isEmpty()) {
        log.warn("the database may lose acknowledged writes in a crash: {} (expected: on)", String.join(", ", unsafe));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not read the database's durability settings", e);
    }
  }

  /** The settings, as {@code name=value}, under which a committed transaction may be lost. */
  static List<String> unsafeDurabilitySettings(Connection c) throws SQLException {
    List<String> unsafe = new ArrayList<>();
    try (var q =
            c.prepareStatement(
                "SELECT name, setting FROM pg_settings"
                    + " WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes') AND setting = 'off'"
                    + " ORDER BY name");
        var rs = q.executeQuery()) {
      while (rs.next()) {
        unsafe.add(rs.getString(1) + "=" + rs.getString(2));
      }
    }
    return unsafe;
  }
}
