package dev.cairn.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CairnConfigTest {

  @Test
  void defaultsRunEmbeddedOnPort50051WithDemoUser() {
    var config = CairnConfig.fromMap(Map.of());
    assertThat(config.grpcPort()).isEqualTo(50051);
    assertThat(config.database().embedded()).isTrue();
    assertThat(config.createDemoUser()).isTrue();
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of(
            "CAIRN_GRPC_PORT", "70000",
            "CAIRN_DATABASE_URL", "mysql://nope",
            "CAIRN_ADMIN_TOKEN", "short",
            "CAIRN_LOG_FORMAT", "xml")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_GRPC_PORT: 70000 (expected: 0..65535)")
        .hasMessageContaining("CAIRN_DATABASE_URL")
        .hasMessageContaining("CAIRN_DATABASE_APP_PASSWORD")
        .hasMessageContaining("CAIRN_ADMIN_TOKEN")
        .hasMessageContaining("CAIRN_LOG_FORMAT");
  }

  @Test
  void externalDatabaseTurnsOffTheDemoUser() {
    var config = CairnConfig.fromMap(Map.of(
        "CAIRN_DATABASE_URL", "jdbc:postgresql://db:5432/cairn",
        "CAIRN_DATABASE_APP_PASSWORD", "x"));
    assertThat(config.database().embedded()).isFalse();
    assertThat(config.createDemoUser()).isFalse();
  }

  @Test
  void authCacheDefaultsToFiveSecondsAndZeroTurnsItOff() {
    assertThat(CairnConfig.fromMap(Map.of()).authCacheTtl()).hasSeconds(5);
    assertThat(CairnConfig.fromMap(Map.of("CAIRN_AUTH_CACHE_SECONDS", "0")).authCacheTtl()).isZero();
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_AUTH_CACHE_SECONDS", "-1")))
        .hasMessageContaining("CAIRN_AUTH_CACHE_SECONDS: -1 (expected: 0..300)");
  }
}
