package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.TestDatabase;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An acknowledged write survives a crash: the embedded PostgreSQL waits for the disk on commit. */
class DurabilityTest {

  @Test
  void embeddedDatabaseCommitsWaitForTheDisk() throws Exception {
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var s = c.createStatement()) {
      assertThat(setting(s, "synchronous_commit")).isEqualTo("on");
      assertThat(setting(s, "fsync")).isEqualTo("on");
      assertThat(setting(s, "full_page_writes")).isEqualTo("on");
    }
  }

  @Test
  void startupNamesEverySettingThatLosesAcknowledgedWrites() throws Exception {
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "")) {
      assertThat(DatabaseBootstrap.unsafeDurabilitySettings(c)).isEmpty();
      try (var s = c.createStatement()) {
        s.execute("SET synchronous_commit = off");
      }
      assertThat(DatabaseBootstrap.unsafeDurabilitySettings(c)).isEqualTo(List.of("synchronous_commit=off"));
    }
  }

  private static String setting(java.sql.Statement s, String name) throws Exception {
    try (var rs = s.executeQuery("SHOW " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
