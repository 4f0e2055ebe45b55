package dev.cairn.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.User;
import dev.cairn.server.config.CairnConfig;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.db.DatabaseBootstrap;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.MutableClock;
import dev.cairn.server.testing.TestDatabase;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The deployment path where one Job migrates and the replicas only check: {@code migrate} against
 * an empty PostgreSQL database, then servers with {@code CAIRN_DATABASE_MIGRATE=false}.
 */
class MigrateCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private String url;

  /** A new, empty database on the shared test PostgreSQL (the app role is cluster-wide and shared). */
  @BeforeEach
  void emptyDatabase() throws SQLException {
    String name = "migrate_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", ""); var st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    url = TestDatabase.get().url().replaceFirst("/[^/?]+(\\?|$)", "/" + name + "$1");
  }

  private CairnConfig config(String databaseUrl, String migrate) {
    return CairnTestServer.config(Map.of(
        "CAIRN_DATABASE_URL", databaseUrl,
        "CAIRN_DATABASE_MIGRATE", migrate,
        "CAIRN_JOBS_CONCURRENCY", "0",
        "CAIRN_METRICS_PORT", "-1"));
  }

  /**
   * A replica as the chart starts it: migrate off and only the app role's credentials. The owner
   * is a role that does not exist, so any connection as the owner fails the start.
   */
  private CairnConfig appRoleOnly(String databaseUrl) {
    return CairnTestServer.config(Map.of(
        "CAIRN_DATABASE_URL", databaseUrl,
        "CAIRN_DATABASE_MIGRATE", "false",
        "CAIRN_DATABASE_USER", "no_owner_credentials_here",
        "CAIRN_DATABASE_PASSWORD", "not-the-owner-password",
        "CAIRN_JOBS_CONCURRENCY", "0",
        "CAIRN_METRICS_PORT", "-1"));
  }

  private void asOwner(String sql) throws SQLException {
    try (var c = DriverManager.getConnection(url, "postgres", ""); var st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static CairnServer start(CairnConfig config) {
    return CairnServer.start(config, new MutableClock(), new PrintStream(PrintStream.nullOutputStream()));
  }

  private int migrate(String databaseUrl) {
    return MigrateCommand.run(config(databaseUrl, "true"), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private boolean hasSchemaHistory() throws SQLException {
    try (var c = DriverManager.getConnection(url, "postgres", "");
        var rs = c.createStatement().executeQuery("SELECT to_regclass('cairn.flyway_schema_history') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  @Test
  void migrateOnAnEmptyDatabaseThenAServerStartsWithoutMigratingAndServes() throws Exception {
    assertThat(migrate(url)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).matches("(?s)cairn migrate: applied \\d+ migrations \\(empty -> version \\d+\\)\\R");

    out.reset();
    assertThat(migrate(url)).as("a second run (the next upgrade with nothing new) is fine").isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("cairn migrate: the database is up to date at version ");

    try (var server = CairnServer.start(config(url, "false"), new MutableClock(), new PrintStream(PrintStream.nullOutputStream()))) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
      try {
        User created = IdentityServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN))
            .createUser(CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername("migrated-db-user")).build())
            .getUser();
        assertThat(created.getUsername()).isEqualTo("migrated-db-user");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void serverWithMigrateOffStartsAndServesWithOnlyTheAppRoleCredentials() throws Exception {
    assertThat(migrate(url)).isZero();

    try (var server = start(appRoleOnly(url))) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
      try {
        User created = IdentityServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN))
            .createUser(CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername("app-role-only")).build())
            .getUser();
        assertThat(created.getUsername()).isEqualTo("app-role-only");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void appRoleVersionCheckSeesAMigrationMissingFromTheHistory() throws Exception {
    assertThat(migrate(url)).isZero();
    // as if this build were one migration ahead of the Job that last ran
    asOwner("DELETE FROM cairn.flyway_schema_history"
        + " WHERE installed_rank = (SELECT max(installed_rank) FROM cairn.flyway_schema_history)");

    assertThatThrownBy(() -> start(appRoleOnly(url)))
        .isInstanceOf(DatabaseBootstrap.NotMigratedException.class)
        .hasMessageContaining("1 migration pending");
  }

  @Test
  void appRoleThatCannotReadTheHistoryIsToldToRunMigrate() throws Exception {
    assertThat(migrate(url)).isZero();
    // a database last migrated by a build from before migrate granted the read
    asOwner("REVOKE SELECT ON cairn.flyway_schema_history FROM " + TestDatabase.APP_ROLE);

    assertThatThrownBy(() -> start(appRoleOnly(url)))
        .isInstanceOf(DatabaseBootstrap.NotMigratedException.class)
        .hasMessageContaining("could not read the schema version from cairn.flyway_schema_history as " + TestDatabase.APP_ROLE)
        .hasMessageContaining("java -jar cairn-server.jar migrate");

    assertThat(migrate(url)).as("migrate again restores the read").isZero();
    start(appRoleOnly(url)).close();
  }

  @Test
  void serverWithMigrateOffRefusesAnUnmigratedDatabaseAndLeavesItUntouched() throws Exception {
    assertThatThrownBy(() -> CairnServer.start(config(url, "false"), new MutableClock(),
            new PrintStream(PrintStream.nullOutputStream())))
        .isInstanceOf(DatabaseBootstrap.NotMigratedException.class)
        .hasMessageContaining("the database is not migrated")
        .hasMessageContaining("schema at no version, empty")
        .hasMessageContaining("java -jar cairn-server.jar migrate");
    assertThat(hasSchemaHistory()).as("checking wrote nothing").isFalse();
  }

  @Test
  void migrateAgainstAnUnreachableDatabaseExitsNonZeroSayingWhy() throws Exception {
    int closedPort;
    try (var socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    String unreachable = "jdbc:postgresql://127.0.0.1:" + closedPort + "/cairn?connectTimeout=2";

    assertThat(migrate(unreachable)).isEqualTo(MigrateCommand.FAILED);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("cairn migrate: failed against " + unreachable + " as postgres: ")
        .contains("Connection to 127.0.0.1:" + closedPort + " refused");
  }

  @Test
  void migrateWithoutADatabaseUrlIsAUsageError() {
    var embedded = CairnConfig.fromMap(Map.of("CAIRN_DATA_DIR", System.getProperty("java.io.tmpdir")));

    assertThat(MigrateCommand.run(embedded, new PrintStream(out), new PrintStream(err, true, StandardCharsets.UTF_8)))
        .isEqualTo(MigrateCommand.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("CAIRN_DATABASE_URL is not set");
  }

  @Test
  void migrateOffWithTheEmbeddedDatabaseIsAConfigurationError() {
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_DATABASE_MIGRATE", "false")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_DATABASE_MIGRATE: false (expected: true with the embedded database");
  }
}
