package dev.cairn.server.db;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares a database for the server: as the schema owner, makes sure the least-privilege
 * application role exists (LOGIN, NOBYPASSRLS, nothing more) and applies the Flyway
 * migrations, which grant that role exactly what it needs table by table. The checks
 * ({@link #requireMigrated}, {@link #warnIfNotDurable}) need only the application role, so
 * replicas that do not migrate never hold the owner's credentials.
 */
public final class DatabaseBootstrap {
  private static final Logger log = LoggerFactory.getLogger(DatabaseBootstrap.class);

  private final String url;
  private final String user;
  private final String password;

  /**
   * @param user the role to connect as: the schema owner to create the app role and migrate;
   *     the application role is enough to check
   */
  public DatabaseBootstrap(String url, String user, String password) {
    this.url = requireNonNull(url, "url");
    this.user = requireNonNull(user, "user");
    this.password = requireNonNull(password, "password");
  }

  /** Creates the role if missing; when it exists, sets the password (keeps config the truth). */
  public void ensureAppRole(String role, String password) {
    requireNonNull(role, "role");
    requireNonNull(password, "password");
    try (Connection c = DriverManager.getConnection(url, user, password)) {
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
    grantHistoryRead(appRole);
    log.info("database migrations applied: {}", result.migrationsExecuted);
    return result;
  }

  /**
   * Lets the application role read (only read) Flyway's history, so a replica started with
   * CAIRN_DATABASE_MIGRATE=false checks the schema version with its own credentials. Granted on
   * every migrate, not in a migration: the history table is Flyway's, created before V1 runs.
   */
  private void grantHistoryRead(String appRole) {
    try (Connection c = DriverManager.getConnection(url, user, password);
        var q = c.prepareStatement("SELECT format('GRANT SELECT ON cairn.flyway_schema_history TO %I', ?::text)")) {
      q.setString(1, appRole);
      String ddl;
      try (var rs = q.executeQuery()) {
        rs.next();
        ddl = rs.getString(1);
      }
      try (var s = c.createStatement()) {
        s.execute(ddl);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not grant " + appRole + " read access to cairn.flyway_schema_history", e);
    }
  }

  /**
   * Checks, without changing anything, that every migration this build knows has been applied
   * (by the {@code migrate} command or a migration Job). A schema newer than this build passes:
   * during a rolling upgrade the old replicas keep serving on the migrated schema.
   *
   * @throws NotMigratedException naming what is pending and how to apply it
   */
  public void requireMigrated(String appRole) {
    MigrationInfoService info;
    try {
      info = flyway(appRole).info();
    } catch (FlywayException e) {
      throw new NotMigratedException("could not read the schema version from cairn.flyway_schema_history as " + user
          + " (" + firstLine(e) + "). CAIRN_DATABASE_MIGRATE=false: run `java -jar cairn-server.jar migrate`"
          + " (the Helm chart's migration Job) with this build first; it also lets " + appRole + " read the history", e);
    }
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

    NotMigratedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static String firstLine(Throwable e) {
    return String.valueOf(e.getMessage()).strip().split("\\R", 2)[0];
  }

  private Flyway flyway(String appRole) {
    return Flyway.configure()
        .dataSource(url, user, password)
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
    try (Connection c = DriverManager.getConnection(url, user, password)) {
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
