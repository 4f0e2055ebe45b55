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
  void pageTokenKeyMustBeBase64OfAtLeast32Bytes() {
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_PAGE_TOKEN_KEY", "c2hvcnQ=")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_PAGE_TOKEN_KEY: 5 bytes (expected: base64 of at least 32 random bytes)");
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_PAGE_TOKEN_KEY", "not base64!")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_PAGE_TOKEN_KEY: not base64");
    String key = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    assertThat(CairnConfig.fromMap(Map.of("CAIRN_PAGE_TOKEN_KEY", key)).keys().pageTokenKey()).isEqualTo(key);
    assertThat(CairnConfig.fromMap(Map.of()).keys().pageTokenKey()).isNull();
  }

  @Test
  void jobSettingsHaveDefaultsAndAreValidated() {
    var jobs = CairnConfig.fromMap(Map.of()).jobs();
    // four per core, 4..32: index jobs mostly wait for the embedding batcher or PostgreSQL
    assertThat(jobs.concurrency()).isEqualTo(Math.clamp(4L * Runtime.getRuntime().availableProcessors(), 4, 32));
    assertThat(jobs.maxAttempts()).isEqualTo(8);
    assertThat(jobs.lease()).isEqualTo(java.time.Duration.ofSeconds(60));
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of(
            "CAIRN_JOBS_MAX_ATTEMPTS", "0",
            "CAIRN_JOBS_BACKOFF_BASE_SECONDS", "60",
            "CAIRN_JOBS_BACKOFF_MAX_SECONDS", "10")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_JOBS_MAX_ATTEMPTS: 0 (expected: 1..100)")
        .hasMessageContaining("CAIRN_JOBS_BACKOFF_MAX_SECONDS: 10 (expected: at least CAIRN_JOBS_BACKOFF_BASE_SECONDS, 60)");
    assertThat(CairnConfig.fromMap(Map.of("CAIRN_JOBS_CONCURRENCY", "0")).jobs().concurrency()).isZero();
  }

  @Test
  void theEmbeddingBatcherTakes32PassagesAndTheModelOneThreadPerCoreByDefault() {
    var search = CairnConfig.fromMap(Map.of()).search();
    assertThat(search.embedBatch()).isEqualTo(32);
    assertThat(search.embedQueue()).isEqualTo(1024);
    assertThat(search.embedThreads()).isEqualTo(Math.min(64, Runtime.getRuntime().availableProcessors()));
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_SEARCH_EMBED_BATCH", "64", "CAIRN_SEARCH_EMBED_QUEUE", "16")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_SEARCH_EMBED_QUEUE: 16 (expected: at least CAIRN_SEARCH_EMBED_BATCH, 64)");
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_SEARCH_EMBED_THREADS", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_SEARCH_EMBED_THREADS: 0 (expected: 1..64)");
  }

  @Test
  void authCacheDefaultsToFiveSecondsAndZeroTurnsItOff() {
    assertThat(CairnConfig.fromMap(Map.of()).authCacheTtl()).hasSeconds(5);
    assertThat(CairnConfig.fromMap(Map.of("CAIRN_AUTH_CACHE_SECONDS", "0")).authCacheTtl()).isZero();
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_AUTH_CACHE_SECONDS", "-1")))
        .hasMessageContaining("CAIRN_AUTH_CACHE_SECONDS: -1 (expected: 0..300)");
  }

  @Test
  void searchEmbedsWithBgeSmallInProcessByDefaultAndARemoteEndpointNeedsItsModelAndDimensions() {
    var search = CairnConfig.fromMap(Map.of()).search();
    assertThat(search.model()).isEqualTo("bge-small");
    assertThat(search.embeddingsUrl()).isNull();
    assertThat(search.vectorPoll()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of(
            "CAIRN_SEARCH_MODEL", "gpt", "CAIRN_EMBEDDINGS_URL", "ftp://x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_SEARCH_MODEL: gpt (expected: bge-small or minilm)")
        .hasMessageContaining("CAIRN_EMBEDDINGS_URL: ftp://x (expected: an http(s) URL")
        .hasMessageContaining("CAIRN_EMBEDDINGS_MODEL: missing")
        .hasMessageContaining("CAIRN_EMBEDDINGS_DIMENSIONS: missing");
    var remote = CairnConfig.fromMap(Map.of("CAIRN_EMBEDDINGS_URL", "http://localhost:8000", "CAIRN_EMBEDDINGS_MODEL", "e5",
        "CAIRN_EMBEDDINGS_DIMENSIONS", "768", "CAIRN_EMBEDDINGS_KEY", "sk-secret")).search();
    assertThat(remote.embeddingsDimensions()).isEqualTo(768);
    assertThat(remote.toString()).doesNotContain("sk-secret");
  }

  @Test
  void bm25sK1AndBAndTheCandidateCapComeFromTheEnvironmentWithTheSearchDefaultsAndBadValuesAreRefused() {
    var defaults = CairnConfig.fromMap(Map.of()).search();
    var settings = dev.cairn.server.search.SearchSettings.defaults();
    assertThat(defaults.bm25K1()).isEqualTo(settings.k1());
    assertThat(defaults.bm25B()).isEqualTo(settings.b());
    assertThat(defaults.maxCandidates()).isEqualTo(settings.maxCandidates());
    var set = CairnConfig.fromMap(Map.of("CAIRN_SEARCH_BM25_K1", "1.2", "CAIRN_SEARCH_BM25_B", "0.75",
        "CAIRN_SEARCH_MAX_CANDIDATES", "300")).search();
    assertThat(set.bm25K1()).isEqualTo(1.2);
    assertThat(set.bm25B()).isEqualTo(0.75);
    assertThat(set.maxCandidates()).isEqualTo(300);
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_SEARCH_BM25_K1", "NaN", "CAIRN_SEARCH_BM25_B", "1.5",
            "CAIRN_SEARCH_MAX_CANDIDATES", "5")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_SEARCH_BM25_K1: NaN")
        .hasMessageContaining("CAIRN_SEARCH_BM25_B: 1.5")
        .hasMessageContaining("CAIRN_SEARCH_MAX_CANDIDATES: 5");
  }

  @Test
  void chunkSizesComeFromTheEnvironmentWithTheChunkerDefaultsAndAnOverlapAboveHalfIsRefused() {
    var defaults = CairnConfig.fromMap(Map.of()).search();
    var chunking = dev.cairn.server.search.ingest.ChunkingSettings.defaults();
    assertThat(defaults.chunkTokens()).isEqualTo(chunking.maxTokens());
    assertThat(defaults.chunkOverlapTokens()).isEqualTo(chunking.overlapTokens());
    var set = CairnConfig.fromMap(Map.of("CAIRN_SEARCH_CHUNK_TOKENS", "480", "CAIRN_SEARCH_CHUNK_OVERLAP_TOKENS", "0")).search();
    assertThat(set.chunkTokens()).isEqualTo(480);
    assertThat(set.chunkOverlapTokens()).isZero();
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_SEARCH_CHUNK_TOKENS", "100", "CAIRN_SEARCH_CHUNK_OVERLAP_TOKENS", "51")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_SEARCH_CHUNK_OVERLAP_TOKENS: 51 (expected: at most half of CAIRN_SEARCH_CHUNK_TOKENS, 50)");
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_SEARCH_CHUNK_TOKENS", "8")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_SEARCH_CHUNK_TOKENS: 8");
  }

  @Test
  void chatAnswersExtractivelyByDefaultAndTheOpenAiGeneratorNeedsItsUrlAndModelWithoutPrintingTheKey() {
    assertThat(CairnConfig.fromMap(Map.of()).chat().generator()).isEqualTo("extractive");
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_CHAT_GENERATOR", "gpt")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_CHAT_GENERATOR: gpt (expected: extractive or openai)");
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_CHAT_GENERATOR", "openai")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_CHAT_OPENAI_URL: missing")
        .hasMessageContaining("CAIRN_CHAT_OPENAI_MODEL: missing");
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_CHAT_GENERATOR", "openai",
            "CAIRN_CHAT_OPENAI_URL", "file:///etc/passwd", "CAIRN_CHAT_OPENAI_MODEL", "m")))
        .hasMessageContaining("CAIRN_CHAT_OPENAI_URL: file:///etc/passwd (expected: an http(s) URL");
    var openai = CairnConfig.fromMap(Map.of("CAIRN_CHAT_GENERATOR", "openai", "CAIRN_CHAT_OPENAI_URL",
        "http://localhost:11434", "CAIRN_CHAT_OPENAI_MODEL", "llama3", "CAIRN_CHAT_OPENAI_KEY", "sk-secret",
        "CAIRN_CHAT_OPENAI_FIRST_TOKEN_TIMEOUT_SECONDS", "5")).chat();
    assertThat(openai.firstTokenTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(openai.toString()).doesNotContain("sk-secret");
  }

  @Test
  void theConsoleIsServedOnlyFromAFolderWithIndexHtml(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    assertThat(CairnConfig.fromMap(Map.of()).web().enabled()).isFalse();
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_WEB_DIR", dir.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_WEB_DIR: " + dir + " has no index.html");
  }

  @Test
  void tracingExportsOnlyToAConfiguredOtlpEndpoint() {
    assertThat(CairnConfig.fromMap(Map.of()).tracing().exporting()).isFalse();
    assertThat(CairnConfig.fromMap(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")).tracing().exporting())
        .isTrue();
    assertThat(CairnConfig.fromMap(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
        "OTEL_SDK_DISABLED", "true")).tracing().exporting()).isFalse();
  }

  @Test
  void badTracingSettingsFailTheStartWithTheOthers() {
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318",
            "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
            "OTEL_TRACES_SAMPLER", "sometimes",
            "OTEL_TRACES_SAMPLER_ARG", "1.5",
            "CAIRN_LOG_FORMAT", "xml")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("OTEL_EXPORTER_OTLP_ENDPOINT: collector:4318 (expected: an http(s) URL")
        .hasMessageContaining("OTEL_EXPORTER_OTLP_PROTOCOL: grpc (expected: http/protobuf")
        .hasMessageContaining("OTEL_TRACES_SAMPLER: sometimes (expected: one of")
        .hasMessageContaining("OTEL_TRACES_SAMPLER_ARG: 1.5 (expected: a sampling ratio 0..1")
        .hasMessageContaining("CAIRN_LOG_FORMAT: xml");
  }

  @Test
  void theMcpEndpointIsOffByDefaultOnLoopbackAndItsAddressMustBeAnIpLiteral() {
    var mcp = CairnConfig.fromMap(Map.of()).mcp();
    assertThat(mcp.enabled()).isFalse();
    assertThat(mcp.address()).isEqualTo("127.0.0.1");
    assertThat(CairnConfig.fromMap(Map.of("CAIRN_MCP_PORT", "0", "CAIRN_MCP_ADDRESS", "::1")).mcp().enabled()).isTrue();
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of(
            "CAIRN_MCP_ADDRESS", "999.1.1.1",
            "CAIRN_MCP_PUBLIC_URL", "ftp://example.org/mcp",
            "CAIRN_MCP_MAX_RESULT_CHARS", "10")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_MCP_ADDRESS: 999.1.1.1 (expected: an IP address")
        .hasMessageContaining("CAIRN_MCP_PUBLIC_URL")
        .hasMessageContaining("CAIRN_MCP_MAX_RESULT_CHARS");
    assertThatThrownBy(() -> CairnConfig.fromMap(Map.of("CAIRN_MCP_ADDRESS", "localhost")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CAIRN_MCP_ADDRESS: localhost");
  }
}
