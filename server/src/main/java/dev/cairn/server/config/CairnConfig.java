package dev.cairn.server.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The server's whole configuration, read once from {@code CAIRN_*} environment variables,
 * validated, and immutable afterwards. Every problem is reported at once, not one per restart.
 *
 * @param grpcPort gRPC listen port (0 picks a free one)
 * @param metricsPort Prometheus {@code /metrics} port (0 picks a free one, -1 disables)
 * @param dataDir where the embedded database, the demo token and other local state live
 * @param database how to reach PostgreSQL
 * @param adminToken the bearer token that may create users, or null for none
 * @param shutdownGrace how long in-flight calls get to finish on shutdown
 * @param createDemoUser create a demo user and print its token on the first start
 * @param logFormat {@code json} or {@code text}
 * @param keys key material; values not configured are generated once into the data folder
 * @param vault vault limits and retention
 * @param jobs the background job queue's workers, retries and retention
 * @param authCacheTtl how long a replica may answer for a verified API token from memory;
 *     revocation and deletion evict it at once on every replica (LISTEN/NOTIFY), so this only
 *     bounds staleness when a notification cannot arrive. Zero: every call asks the database
 * @param search the embedding model search uses
 * @param chat the generator chat answers with
 * @param web where the console's static files are served from, if at all
 * @param mcp the MCP endpoint for AI assistants
 * @param tracing OpenTelemetry tracing (the standard {@code OTEL_*} variables)
 */
public record CairnConfig(
    int grpcPort,
    int metricsPort,
    Path dataDir,
    DatabaseConfig database,
    @Nullable String adminToken,
    Duration shutdownGrace,
    boolean createDemoUser,
    String logFormat,
    KeyConfig keys,
    VaultConfig vault,
    JobsConfig jobs,
    Duration authCacheTtl,
    SearchConfig search,
    ChatConfig chat,
    WebConfig web,
    McpConfig mcp,
    TracingConfig tracing) {

  private static final Pattern ROLE = Pattern.compile("^[a-z_][a-z0-9_]{0,62}$");

  /**
   * Where PostgreSQL is.
   *
   * @param url JDBC URL of an external server, or null to start an embedded one under dataDir
   * @param ownerUser the role that owns the schema and runs migrations (not used when migrate is
   *     false: the checks run as appUser)
   * @param ownerPassword its password (may be empty)
   * @param appUser the least-privilege role the server's queries run as (no BYPASSRLS)
   * @param appPassword its password; generated and kept in dataDir for the embedded database
   * @param poolSize maximum connections in the application pool
   * @param embeddedPort port of the embedded server (0 picks a free one)
   * @param migrate whether the server applies migrations at start; when false (a deployment that
   *     migrates with the {@code migrate} command first) it only checks that none is pending
   */
  public record DatabaseConfig(
      @Nullable String url,
      String ownerUser,
      String ownerPassword,
      String appUser,
      @Nullable String appPassword,
      int poolSize,
      int embeddedPort,
      boolean migrate) {

    public boolean embedded() {
      return url == null;
    }
  }

  /**
   * The console's static files (the built {@code web/dist}), served over plain HTTP for the
   * gateway's {@code web} upstream; off unless a folder is configured.
   *
   * @param dir the folder holding {@code index.html}, or null to serve no console
   * @param port the HTTP port (0 picks a free one)
   */
  public record WebConfig(@Nullable Path dir, int port) {
    public static final WebConfig OFF = new WebConfig(null, 0);

    public boolean enabled() {
      return dir != null;
    }
  }

  /**
   * Secrets, each a base64 value from the environment or, when absent, a file in the data
   * folder created on first start (mode 600). Several replicas must share them by config.
   *
   * @param kek current key-encryption key (base64 Tink AES-256-GCM keyset)
   * @param kekPrevious older KEKs that still unwrap until {@code rewrap-keys} has run
   * @param auditHmacKey key for HMACs of sensitive audit values (base64, 32 bytes)
   * @param attestationKey Ed25519 signing keyset for attestations (base64 Tink keyset)
   * @param pageTokenKey key that authenticates page tokens (base64, at least 32 bytes); when
   *     absent it is derived from the audit HMAC key, which replicas already share
   */
  public record KeyConfig(
      @Nullable String kek,
      List<String> kekPrevious,
      @Nullable String auditHmacKey,
      @Nullable String attestationKey,
      @Nullable String pageTokenKey) {
    public KeyConfig {
      kekPrevious = List.copyOf(kekPrevious);
    }
  }

  /**
   * Vault limits.
   *
   * @param inlineMaxBytes largest document CreateItem accepts inline (UploadItem beyond)
   * @param maxItemBytes largest document at all
   * @param maxItemsPerUser items one owner may hold
   * @param writesPerMinute vault writes one user may make per minute
   * @param retention how long a deleted item can be undeleted before it is purged
   * @param piiController the data controller consent receipts name
   * @param auditCheckpointEvery how often each moved audit head is signed (a checkpoint)
   * @param auditChainEvery how often queued audit events are linked into their chains when
   *     nothing wakes the chainer sooner (events queued on another replica)
   * @param maxOpenUploads resumable uploads one user may have open at once
   * @param uploadExpiry how long a resumable upload lives before it and its staged bytes are purged
   */
  public record VaultConfig(
      long inlineMaxBytes,
      long maxItemBytes,
      long maxItemsPerUser,
      int writesPerMinute,
      Duration retention,
      PiiController piiController,
      Duration auditCheckpointEvery,
      Duration auditChainEvery,
      int maxOpenUploads,
      Duration uploadExpiry) {}

  /**
   * The background job queue (see the jobs package).
   *
   * @param concurrency jobs one replica runs at once (0: this replica runs none, only enqueues)
   * @param pollInterval how long an idle worker waits before looking for due jobs again
   * @param lease how long a claimed job is held before another worker may take it over; the
   *     worker renews it every third of it while the job runs, so it bounds only how long a
   *     dead replica's jobs wait
   * @param maxAttempts attempts before a job is dead-lettered (state DEAD, kept for inspection)
   * @param backoffBase the delay before the first retry; it doubles with each attempt (jittered)
   * @param backoffMax the longest delay between two attempts
   * @param doneRetention how long finished jobs are kept before they are deleted
   */
  public record JobsConfig(
      int concurrency,
      Duration pollInterval,
      Duration lease,
      int maxAttempts,
      Duration backoffBase,
      Duration backoffMax,
      Duration doneRetention) {
    public JobsConfig {
      requireNonNull(pollInterval, "pollInterval");
      requireNonNull(lease, "lease");
      requireNonNull(backoffBase, "backoffBase");
      requireNonNull(backoffMax, "backoffMax");
      requireNonNull(doneRetention, "doneRetention");
    }

    /** The same settings on a replica that only enqueues (a one-off command). */
    public JobsConfig withoutWorkers() {
      return new JobsConfig(0, pollInterval, lease, maxAttempts, backoffBase, backoffMax, doneRetention);
    }
  }

  /**
   * Which embedding model search uses.
   *
   * @param model the in-process model: {@code bge-small} (bge-small-en-v1.5, the default) or
   *     {@code minilm} (all-MiniLM-L6-v2); also the token counter of the chunker when a remote
   *     endpoint embeds
   * @param embeddingsUrl an OpenAI-compatible server (its base URL, {@code /v1/embeddings} is
   *     appended) that embeds instead of the in-process model; null for in process
   * @param embeddingsModel the remote model's name
   * @param embeddingsKey the remote server's bearer key (may be empty)
   * @param embeddingsDimensions the remote model's vector length
   * @param vectorPoll the safety-net poll of the vector change log (changes are LISTENed for; the poll
   *     catches what a lost notification missed and closes gaps below the high-water mark)
   * @param rrfK HYBRID's reciprocal rank fusion k
   * @param lexicalWeight the lexical list's weight in the fusion
   * @param semanticWeight the semantic list's weight in the fusion
   * @param fusionDepth items of each list HYBRID fuses
   * @param queryCacheEntries query vectors kept per replica, each user's own (0: none)
   * @param queryCacheTtl how long a query vector is kept
   * @param embedBatch passages per model call of the ingestion batcher, across index jobs
   * @param embedQueue passages that may wait for the batcher; a job submitting beyond it waits
   * @param embedThreads the in-process model's threads (ONNX Runtime intra-op): one per core, since
   *     the batcher runs one model call at a time
   * @param bm25K1 BM25's term-frequency saturation
   * @param bm25B BM25's length normalisation (0: none, 1: full)
   * @param maxCandidates the most matching chunks a phrase, exclusion or prefix query retrieves from GIN and scores
   * @param chunkTokens the most tokens of a chunk's text (items indexed from then on; ReindexItem re-cuts)
   * @param chunkOverlapTokens the most tokens of whole sentences a chunk repeats from the one before it
   */
  public record SearchConfig(
      String model,
      java.net.@Nullable URI embeddingsUrl,
      String embeddingsModel,
      String embeddingsKey,
      int embeddingsDimensions,
      Duration vectorPoll,
      int rrfK,
      double lexicalWeight,
      double semanticWeight,
      int fusionDepth,
      int queryCacheEntries,
      Duration queryCacheTtl,
      int embedBatch,
      int embedQueue,
      int embedThreads,
      double bm25K1,
      double bm25B,
      int maxCandidates,
      int chunkTokens,
      int chunkOverlapTokens) {
    public SearchConfig {
      requireNonNull(model, "model");
      requireNonNull(embeddingsModel, "embeddingsModel");
      requireNonNull(embeddingsKey, "embeddingsKey");
      requireNonNull(vectorPoll, "vectorPoll");
    }

    /** Never prints the key. */
    @Override
    public String toString() {
      return "SearchConfig[model=" + model + ", embeddingsUrl=" + embeddingsUrl + ", embeddingsModel=" + embeddingsModel
          + ", embeddingsKey=" + (embeddingsKey.isEmpty() ? "none" : "***") + ", embeddingsDimensions="
          + embeddingsDimensions + ", vectorPoll=" + vectorPoll + ", rrfK=" + rrfK + ", lexicalWeight=" + lexicalWeight
          + ", semanticWeight=" + semanticWeight + ", fusionDepth=" + fusionDepth + ", queryCacheEntries="
          + queryCacheEntries + ", queryCacheTtl=" + queryCacheTtl + ", embedBatch=" + embedBatch + ", embedQueue="
          + embedQueue + ", embedThreads=" + embedThreads + ", bm25K1=" + bm25K1 + ", bm25B=" + bm25B
          + ", maxCandidates=" + maxCandidates + ", chunkTokens=" + chunkTokens + ", chunkOverlapTokens="
          + chunkOverlapTokens + "]";
    }
  }

  /**
   * Which generator writes chat answers.
   *
   * @param generator {@code extractive} (the default: quotes the retrieved passages, no model) or
   *     {@code openai} (an OpenAI-compatible {@code /v1/chat/completions} server)
   * @param openAiUrl that server's base URL; null unless {@code openai}
   * @param openAiModel its model name
   * @param openAiKey its bearer key (may be empty for local servers)
   * @param maxTokens the longest answer asked for
   * @param streamUsage whether to ask for token usage in the stream
   * @param connectTimeout time to connect
   * @param firstTokenTimeout time from the request to the first answer text
   * @param idleTimeout longest silence mid-answer
   * @param maxAttempts tries before the first token (connection errors, 429, 5xx, timeouts)
   */
  public record ChatConfig(
      String generator,
      java.net.@Nullable URI openAiUrl,
      String openAiModel,
      String openAiKey,
      int maxTokens,
      boolean streamUsage,
      Duration connectTimeout,
      Duration firstTokenTimeout,
      Duration idleTimeout,
      int maxAttempts) {
    public ChatConfig {
      requireNonNull(generator, "generator");
      requireNonNull(openAiModel, "openAiModel");
      requireNonNull(openAiKey, "openAiKey");
      requireNonNull(connectTimeout, "connectTimeout");
      requireNonNull(firstTokenTimeout, "firstTokenTimeout");
      requireNonNull(idleTimeout, "idleTimeout");
    }

    /** Never prints the key. */
    @Override
    public String toString() {
      return "ChatConfig[generator=" + generator + ", openAiUrl=" + openAiUrl + ", openAiModel=" + openAiModel
          + ", openAiKey=" + (openAiKey.isEmpty() ? "none" : "***") + ", maxTokens=" + maxTokens + "]";
    }
  }

  /**
   * The MCP endpoint (Streamable HTTP) that lets AI assistants act with a token's rights. Off by
   * default: it is a second listening surface that speaks plain HTTP, so an operator turns it on
   * (and, beyond loopback, puts TLS in front of it) knowingly.
   *
   * @param port listen port; -1 disables the endpoint, 0 picks a free one
   * @param address the address to bind; loopback unless configured, since bearer tokens cross it
   * @param publicUrl the endpoint's URL as clients reach it (behind a proxy), for the RFC 9728
   *     metadata; null derives it from each request's Host
   * @param maxResultChars the largest text one tool result carries; longer text is cut and says so
   */
  public record McpConfig(int port, String address, java.net.@Nullable URI publicUrl, int maxResultChars) {
    public McpConfig {
      requireNonNull(address, "address");
    }

    public boolean enabled() {
      return port >= 0;
    }
  }

  /**
   * OpenTelemetry tracing, configured by the SDK's standard {@code OTEL_*} variables (so the usual
   * operator knowledge and tooling apply) and checked here at start like every other setting.
   * Spans are always made when the SDK is enabled (their ids go into log lines and the caller's
   * {@code traceparent} is continued); they are exported only when an OTLP endpoint is set.
   *
   * @param otel the {@code OTEL_*} variables as given, for the SDK's autoconfiguration
   */
  public record TracingConfig(Map<String, String> otel) {
    /** The variables read; others named OTEL_* are passed on to the SDK as they are. */
    static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
    static final String TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    public TracingConfig {
      otel = Map.copyOf(otel);
    }

    /** No tracing variables: spans for log correlation, nothing exported. */
    public static TracingConfig defaults() {
      return new TracingConfig(Map.of());
    }

    /** Whether spans leave the process (an OTLP endpoint is configured and the SDK is on). */
    public boolean exporting() {
      return !sdkDisabled() && (otel.containsKey(ENDPOINT) || otel.containsKey(TRACES_ENDPOINT))
          && !"none".equals(otel.get("OTEL_TRACES_EXPORTER"));
    }

    /** OTEL_SDK_DISABLED=true: no spans at all (no trace ids in logs either). */
    public boolean sdkDisabled() {
      return "true".equalsIgnoreCase(otel.get("OTEL_SDK_DISABLED"));
    }

    /** Never prints header values (they may hold an exporter's API key). */
    @Override
    public String toString() {
      return "TracingConfig[exporting=" + exporting() + ", endpoint="
          + otel.getOrDefault(TRACES_ENDPOINT, otel.get(ENDPOINT)) + "]";
    }
  }

  /** The operator of this deployment, as consent receipts name it (Kantara piiControllers). */
  public record PiiController(String name, String contact, String email, String url) {}

  public CairnConfig {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(database, "database");
    requireNonNull(shutdownGrace, "shutdownGrace");
    requireNonNull(logFormat, "logFormat");
    requireNonNull(jobs, "jobs");
    requireNonNull(authCacheTtl, "authCacheTtl");
    requireNonNull(search, "search");
    requireNonNull(mcp, "mcp");
    requireNonNull(tracing, "tracing");
  }

  /** The process environment. */
  public static CairnConfig fromEnvironment() {
    return fromMap(System.getenv());
  }

  /** Reads and validates; throws one {@link ConfigException} listing every problem. */
  public static CairnConfig fromMap(Map<String, String> env) {
    var reader = new Reader(env);
    int grpcPort = reader.integer("CAIRN_GRPC_PORT", 50051, 0, 65535);
    int metricsPort = reader.integer("CAIRN_METRICS_PORT", 9464, -1, 65535);
    Path dataDir =
        Path.of(reader.string("CAIRN_DATA_DIR", System.getProperty("user.home") + "/.cairn"))
            .toAbsolutePath();
    String url = reader.optional("CAIRN_DATABASE_URL").orElse(null);
    if (url != null && !url.startsWith("jdbc:postgresql://")) {
      reader.problem("CAIRN_DATABASE_URL: " + url + " (expected: jdbc:postgresql://host:port/db)");
    }
    String ownerUser = reader.string("CAIRN_DATABASE_USER", "postgres");
    String ownerPassword = reader.string("CAIRN_DATABASE_PASSWORD", "");
    String appUser = reader.string("CAIRN_DATABASE_APP_USER", "cairn_app");
    if (!ROLE.matcher(appUser).matches()) {
      reader.problem("CAIRN_DATABASE_APP_USER: " + appUser + " (expected: [a-z_][a-z0-9_]*)");
    }
    String appPassword = reader.optional("CAIRN_DATABASE_APP_PASSWORD").orElse(null);
    if (url != null && appPassword == null) {
      reader.problem("CAIRN_DATABASE_APP_PASSWORD: missing (required with CAIRN_DATABASE_URL)");
    }
    int poolSize = reader.integer("CAIRN_DATABASE_POOL_SIZE", 16, 1, 500);
    int embeddedPort = reader.integer("CAIRN_EMBEDDED_DATABASE_PORT", 0, 0, 65535);
    boolean migrate = reader.bool("CAIRN_DATABASE_MIGRATE", true);
    if (!migrate && url == null) {
      // the embedded database belongs to this one process: nothing to race, nobody else to migrate it
      reader.problem("CAIRN_DATABASE_MIGRATE: false (expected: true with the embedded database; false needs CAIRN_DATABASE_URL)");
    }
    String adminToken = reader.optional("CAIRN_ADMIN_TOKEN").orElse(null);
    if (adminToken != null && adminToken.length() < 32) {
      reader.problem("CAIRN_ADMIN_TOKEN: too short (expected: at least 32 characters)");
    }
    Duration grace = Duration.ofSeconds(reader.integer("CAIRN_SHUTDOWN_GRACE_SECONDS", 20, 0, 600));
    boolean demo = reader.bool("CAIRN_DEMO_USER", url == null);
    String logFormat = reader.string("CAIRN_LOG_FORMAT", "json").toLowerCase(Locale.ROOT);
    if (!logFormat.equals("json") && !logFormat.equals("text")) {
      reader.problem("CAIRN_LOG_FORMAT: " + logFormat + " (expected: json or text)");
    }
    var keys =
        new KeyConfig(
            reader.optional("CAIRN_KEK").orElse(null),
            reader.optional("CAIRN_KEK_PREVIOUS").map(v -> List.of(v.split(","))).orElse(List.of()),
            reader.optional("CAIRN_AUDIT_HMAC_KEY").orElse(null),
            reader.optional("CAIRN_ATTESTATION_KEY").orElse(null),
            reader.key("CAIRN_PAGE_TOKEN_KEY", 32));
    var vault =
        new VaultConfig(
            reader.integer("CAIRN_VAULT_INLINE_MAX_BYTES", 4 * 1024 * 1024, 1024, 4 * 1024 * 1024),
            reader.longInteger("CAIRN_VAULT_MAX_ITEM_BYTES", 1L << 30, 1024, 1L << 40),
            reader.longInteger("CAIRN_VAULT_MAX_ITEMS_PER_USER", 100_000, 1, 1_000_000_000),
            reader.integer("CAIRN_VAULT_WRITES_PER_MINUTE", 1200, 1, 1_000_000),
            Duration.ofDays(reader.integer("CAIRN_VAULT_RETENTION_DAYS", 30, 0, 3650)),
            new PiiController(
                reader.string("CAIRN_PII_CONTROLLER", "Operator of this Cairn deployment"),
                reader.string("CAIRN_PII_CONTROLLER_CONTACT", ""),
                reader.string("CAIRN_PII_CONTROLLER_EMAIL", ""),
                reader.string("CAIRN_PII_CONTROLLER_URL", "")),
            Duration.ofSeconds(reader.integer("CAIRN_AUDIT_CHECKPOINT_SECONDS", 300, 1, 86_400)),
            Duration.ofMillis(reader.integer("CAIRN_AUDIT_CHAIN_MILLIS", 100, 10, 60_000)),
            reader.integer("CAIRN_VAULT_MAX_OPEN_UPLOADS", 20, 1, 10_000),
            Duration.ofHours(reader.integer("CAIRN_VAULT_UPLOAD_EXPIRY_HOURS", 24, 1, 24 * 30)));
    var jobs = jobs(reader);
    Duration authCacheTtl = Duration.ofSeconds(reader.integer("CAIRN_AUTH_CACHE_SECONDS", 5, 0, 300));
    var search = search(reader);
    var chat = chat(reader);
    var web = web(reader);
    var mcp = mcp(reader);
    var tracing = tracing(reader, env);
    reader.throwIfProblems();
    return new CairnConfig(
        grpcPort,
        metricsPort,
        dataDir,
        new DatabaseConfig(
            url, ownerUser, ownerPassword, appUser, appPassword, poolSize, embeddedPort, migrate),
        adminToken,
        grace,
        demo,
        logFormat,
        keys,
        vault,
        jobs,
        authCacheTtl,
        search,
        chat,
        web,
        mcp,
        tracing);
  }

  private static WebConfig web(Reader reader) {
    int port = reader.integer("CAIRN_WEB_PORT", 8081, 0, 65535);
    Path dir = reader.optional("CAIRN_WEB_DIR").map(raw -> Path.of(raw).toAbsolutePath()).orElse(null);
    if (dir != null && !java.nio.file.Files.isRegularFile(dir.resolve("index.html"))) {
      reader.problem("CAIRN_WEB_DIR: " + dir + " has no index.html (expected: the console's build, web/dist: "
          + "cd web && npm ci && npm run build)");
    }
    return new WebConfig(dir, port);
  }

  private static final Pattern IPV4 =
      Pattern.compile("^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$");

  /**
   * An IPv4 or IPv6 literal, never a DNS look-up: IPv4 by its grammar (999.1.1.1 is refused, where
   * InetAddress would take it for a host name), IPv6 by InetAddress, which parses any string with
   * a colon as a literal (Java 21 has no InetAddress.ofLiteral).
   */
  private static boolean isIpLiteral(String address) {
    if (IPV4.matcher(address).matches()) {
      return true;
    }
    if (!address.matches("^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$")) {
      return false;
    }
    try {
      java.net.InetAddress.getByName(address);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static McpConfig mcp(Reader reader) {
    int port = reader.integer("CAIRN_MCP_PORT", -1, -1, 65535);
    String address = reader.string("CAIRN_MCP_ADDRESS", "127.0.0.1").strip();
    if (!isIpLiteral(address)) {
      reader.problem("CAIRN_MCP_ADDRESS: " + address + " (expected: an IP address such as 127.0.0.1 or 0.0.0.0)");
    }
    java.net.URI publicUrl =
        reader.optional("CAIRN_MCP_PUBLIC_URL").map(raw -> httpUrl(reader, "CAIRN_MCP_PUBLIC_URL", raw)).orElse(null);
    int maxChars = reader.integer("CAIRN_MCP_MAX_RESULT_CHARS", 100_000, 1_000, 10_000_000);
    return new McpConfig(port, address, publicUrl, maxChars);
  }

  private static final java.util.Set<String> SAMPLERS = java.util.Set.of("always_on", "always_off", "traceidratio",
      "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio");

  /**
   * The OTEL_* variables, with the ones Cairn relies on checked here so a typo fails the start
   * with the other problems (the SDK would otherwise fail later, or fall back silently).
   */
  private static TracingConfig tracing(Reader reader, Map<String, String> env) {
    var otel = new java.util.TreeMap<String, String>();
    env.forEach((key, value) -> {
      if (key.startsWith("OTEL_") && value != null && !value.isBlank()) {
        otel.put(key, value.strip());
      }
    });
    for (String key : List.of(TracingConfig.ENDPOINT, TracingConfig.TRACES_ENDPOINT)) {
      reader.optional(key).ifPresent(raw -> httpUrl(reader, key, raw));
    }
    reader.optional("OTEL_EXPORTER_OTLP_PROTOCOL").or(() -> reader.optional("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
        .filter(protocol -> !protocol.equals("http/protobuf"))
        .ifPresent(protocol -> reader.problem("OTEL_EXPORTER_OTLP_PROTOCOL: " + protocol
            + " (expected: http/protobuf; Cairn exports OTLP over HTTP, port 4318 on a collector)"));
    String traces = reader.string("OTEL_TRACES_EXPORTER", "otlp");
    if (!traces.equals("otlp") && !traces.equals("none")) {
      reader.problem("OTEL_TRACES_EXPORTER: " + traces + " (expected: otlp or none)");
    }
    String sampler = reader.string("OTEL_TRACES_SAMPLER", "parentbased_always_on");
    if (!SAMPLERS.contains(sampler)) {
      reader.problem("OTEL_TRACES_SAMPLER: " + sampler + " (expected: one of " + new java.util.TreeSet<>(SAMPLERS) + ")");
    }
    reader.optional("OTEL_TRACES_SAMPLER_ARG").ifPresent(raw -> {
      double ratio = -1;
      try {
        ratio = Double.parseDouble(raw);
      } catch (NumberFormatException e) {
        // reported below
      }
      if (!(ratio >= 0 && ratio <= 1)) {
        reader.problem("OTEL_TRACES_SAMPLER_ARG: " + raw + " (expected: a sampling ratio 0..1, e.g. 0.1)");
      }
    });
    String disabled = reader.string("OTEL_SDK_DISABLED", "false").toLowerCase(Locale.ROOT);
    if (!disabled.equals("true") && !disabled.equals("false")) {
      reader.problem("OTEL_SDK_DISABLED: " + disabled + " (expected: true or false)");
    }
    return new TracingConfig(otel);
  }

  private static ChatConfig chat(Reader reader) {
    String generator = reader.string("CAIRN_CHAT_GENERATOR", "extractive").toLowerCase(Locale.ROOT);
    if (!generator.equals("extractive") && !generator.equals("openai")) {
      reader.problem("CAIRN_CHAT_GENERATOR: " + generator + " (expected: extractive or openai)");
    }
    java.net.URI url = reader.optional("CAIRN_CHAT_OPENAI_URL").map(raw -> httpUrl(reader, "CAIRN_CHAT_OPENAI_URL", raw))
        .orElse(null);
    String model = reader.string("CAIRN_CHAT_OPENAI_MODEL", "");
    String key = reader.string("CAIRN_CHAT_OPENAI_KEY", "");
    if (generator.equals("openai")) {
      if (url == null) {
        reader.problem("CAIRN_CHAT_OPENAI_URL: missing (expected: the server's base URL, e.g. http://localhost:11434, "
            + "when CAIRN_CHAT_GENERATOR=openai)");
      }
      if (model.isBlank()) {
        reader.problem("CAIRN_CHAT_OPENAI_MODEL: missing (expected: the model name when CAIRN_CHAT_GENERATOR=openai)");
      }
    }
    if (key.chars().anyMatch(c -> c <= ' ' || c == 127)) {
      reader.problem("CAIRN_CHAT_OPENAI_KEY: contains whitespace or control characters");
    }
    return new ChatConfig(generator, url, model, key,
        reader.integer("CAIRN_CHAT_OPENAI_MAX_TOKENS", 1024, 1, 1_000_000),
        reader.bool("CAIRN_CHAT_OPENAI_STREAM_USAGE", true),
        Duration.ofSeconds(reader.integer("CAIRN_CHAT_OPENAI_CONNECT_TIMEOUT_SECONDS", 10, 1, 600)),
        Duration.ofSeconds(reader.integer("CAIRN_CHAT_OPENAI_FIRST_TOKEN_TIMEOUT_SECONDS", 60, 1, 3600)),
        Duration.ofSeconds(reader.integer("CAIRN_CHAT_OPENAI_IDLE_TIMEOUT_SECONDS", 60, 1, 3600)),
        reader.integer("CAIRN_CHAT_OPENAI_MAX_ATTEMPTS", 3, 1, 10));
  }

  /** An http(s) URL with a host, or null after reporting the problem. */
  private static java.net.@Nullable URI httpUrl(Reader reader, String name, String raw) {
    try {
      var url = new java.net.URI(raw.strip());
      if (("http".equals(url.getScheme()) || "https".equals(url.getScheme())) && url.getHost() != null
          && url.getQuery() == null && url.getFragment() == null) {
        return url;
      }
    } catch (java.net.URISyntaxException e) {
      // reported below
    }
    reader.problem(name + ": " + raw + " (expected: an http(s) URL such as http://localhost:8000)");
    return null;
  }

  private static SearchConfig search(Reader reader) {
    String model = reader.string("CAIRN_SEARCH_MODEL", "bge-small").toLowerCase(Locale.ROOT);
    if (!model.equals("bge-small") && !model.equals("minilm")) {
      reader.problem("CAIRN_SEARCH_MODEL: " + model + " (expected: bge-small or minilm)");
    }
    java.net.URI url = null;
    String rawUrl = reader.optional("CAIRN_EMBEDDINGS_URL").orElse(null);
    if (rawUrl != null) {
      try {
        url = new java.net.URI(rawUrl);
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
          reader.problem("CAIRN_EMBEDDINGS_URL: " + rawUrl + " (expected: an http(s) URL such as http://localhost:8000)");
        }
      } catch (java.net.URISyntaxException e) {
        reader.problem("CAIRN_EMBEDDINGS_URL: " + rawUrl + " (expected: an http(s) URL such as http://localhost:8000)");
      }
    }
    String remoteModel = reader.string("CAIRN_EMBEDDINGS_MODEL", "");
    int dimensions = reader.integer("CAIRN_EMBEDDINGS_DIMENSIONS", 0, 0, 4096);
    if (url != null && remoteModel.isEmpty()) {
      reader.problem("CAIRN_EMBEDDINGS_MODEL: missing (expected: the remote model's name when CAIRN_EMBEDDINGS_URL is set)");
    }
    if (url != null && dimensions == 0) {
      reader.problem("CAIRN_EMBEDDINGS_DIMENSIONS: missing (expected: the remote model's vector length, 1..4096)");
    }
    // the defaults are search.SearchSettings.defaults()' (tools/eval/fusion-grid.sh chose the fusion's)
    double lexicalWeight = reader.decimal("CAIRN_SEARCH_LEXICAL_WEIGHT", 1.0, 0, 10);
    double semanticWeight = reader.decimal("CAIRN_SEARCH_SEMANTIC_WEIGHT", 1.0, 0, 10);
    if (lexicalWeight + semanticWeight == 0) {
      reader.problem("CAIRN_SEARCH_LEXICAL_WEIGHT, CAIRN_SEARCH_SEMANTIC_WEIGHT: both 0 (expected: at least one above 0)");
    }
    int embedBatch = reader.integer("CAIRN_SEARCH_EMBED_BATCH", 32, 1, 256);
    int embedQueue = reader.integer("CAIRN_SEARCH_EMBED_QUEUE", 1024, 1, 1_000_000);
    if (embedQueue < embedBatch) {
      reader.problem("CAIRN_SEARCH_EMBED_QUEUE: " + embedQueue + " (expected: at least CAIRN_SEARCH_EMBED_BATCH, "
          + embedBatch + ")");
    }
    // the defaults are search.ingest.ChunkingSettings.defaults()'; 8192 is ChunkingSettings' own bound
    int chunkTokens = reader.integer("CAIRN_SEARCH_CHUNK_TOKENS", 256, 16, 8192);
    int chunkOverlap = reader.integer("CAIRN_SEARCH_CHUNK_OVERLAP_TOKENS", 32, 0, 4096);
    if (chunkOverlap > chunkTokens / 2) {
      reader.problem("CAIRN_SEARCH_CHUNK_OVERLAP_TOKENS: " + chunkOverlap + " (expected: at most half of CAIRN_SEARCH_CHUNK_TOKENS, "
          + chunkTokens / 2 + ")");
    }
    return new SearchConfig(model, url, remoteModel, reader.string("CAIRN_EMBEDDINGS_KEY", ""), dimensions,
        Duration.ofMillis(reader.integer("CAIRN_SEARCH_VECTOR_POLL_MILLIS", 10_000, 10, 600_000)),
        reader.integer("CAIRN_SEARCH_RRF_K", 60, 1, 1000), lexicalWeight, semanticWeight,
        reader.integer("CAIRN_SEARCH_FUSION_DEPTH", 100, 1, 100),
        reader.integer("CAIRN_SEARCH_QUERY_CACHE_ENTRIES", 10_000, 0, 1_000_000),
        Duration.ofSeconds(reader.integer("CAIRN_SEARCH_QUERY_CACHE_SECONDS", 600, 1, 86_400)),
        embedBatch, embedQueue,
        reader.integer("CAIRN_SEARCH_EMBED_THREADS", Math.min(64, PROCESSORS), 1, 64),
        reader.decimal("CAIRN_SEARCH_BM25_K1", 0.9, 0, 10),
        reader.decimal("CAIRN_SEARCH_BM25_B", 0.4, 0, 1),
        reader.integer("CAIRN_SEARCH_MAX_CANDIDATES", 1000, 10, 100_000),
        chunkTokens, chunkOverlap);
  }

  private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();

  /**
   * Four jobs per core, 4 to 32: an index job spends most of its time waiting, for the embedding
   * batcher or for PostgreSQL, and the model runs one batch at a time whatever the number of jobs,
   * so more jobs than cores oversubscribe nothing; they keep the batcher's next batch full (an
   * item gives about two passages) while the current one runs.
   */
  static int defaultJobConcurrency() {
    return Math.clamp(4L * PROCESSORS, 4, 32);
  }

  private static JobsConfig jobs(Reader reader) {
    var jobs =
        new JobsConfig(
            reader.integer("CAIRN_JOBS_CONCURRENCY", defaultJobConcurrency(), 0, 256),
            Duration.ofMillis(reader.integer("CAIRN_JOBS_POLL_MILLIS", 1000, 10, 60_000)),
            Duration.ofSeconds(reader.integer("CAIRN_JOBS_LEASE_SECONDS", 60, 3, 86_400)),
            reader.integer("CAIRN_JOBS_MAX_ATTEMPTS", 8, 1, 100),
            Duration.ofSeconds(reader.integer("CAIRN_JOBS_BACKOFF_BASE_SECONDS", 5, 1, 86_400)),
            Duration.ofSeconds(reader.integer("CAIRN_JOBS_BACKOFF_MAX_SECONDS", 3600, 1, 604_800)),
            Duration.ofHours(reader.integer("CAIRN_JOBS_DONE_RETENTION_HOURS", 24, 0, 8760)));
    if (jobs.backoffMax().compareTo(jobs.backoffBase()) < 0) {
      reader.problem("CAIRN_JOBS_BACKOFF_MAX_SECONDS: " + jobs.backoffMax().toSeconds()
          + " (expected: at least CAIRN_JOBS_BACKOFF_BASE_SECONDS, " + jobs.backoffBase().toSeconds() + ")");
    }
    return jobs;
  }

  /** Collects problems instead of failing on the first. */
  private static final class Reader {
    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();

    Reader(Map<String, String> env) {
      this.env = requireNonNull(env, "env");
    }

    Optional<String> optional(String key) {
      String value = env.get(key);
      return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    String string(String key, String fallback) {
      return optional(key).orElse(fallback);
    }

    int integer(String key, int fallback, int min, int max) {
      return (int) longInteger(key, fallback, min, max);
    }

    long longInteger(String key, long fallback, long min, long max) {
      Optional<String> raw = optional(key);
      if (raw.isEmpty()) {
        return fallback;
      }
      try {
        long value = Long.parseLong(raw.get());
        if (value < min || value > max) {
          problem(key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
      } catch (NumberFormatException e) {
        problem(key + ": " + raw.get() + " (expected: an integer " + min + ".." + max + ")");
        return fallback;
      }
    }

    double decimal(String key, double fallback, double min, double max) {
      Optional<String> raw = optional(key);
      if (raw.isEmpty()) {
        return fallback;
      }
      try {
        double value = Double.parseDouble(raw.get());
        if (!(value >= min && value <= max)) {
          problem(key + ": " + raw.get() + " (expected: a number " + min + ".." + max + ")");
          return fallback;
        }
        return value;
      } catch (NumberFormatException e) {
        problem(key + ": " + raw.get() + " (expected: a number " + min + ".." + max + ")");
        return fallback;
      }
    }

    /** An optional base64 key of at least {@code minBytes} bytes. */
    @Nullable String key(String key, int minBytes) {
      String raw = optional(key).orElse(null);
      if (raw == null) {
        return null;
      }
      try {
        int length = java.util.Base64.getDecoder().decode(raw).length;
        if (length < minBytes) {
          problem(key + ": " + length + " bytes (expected: base64 of at least " + minBytes + " random bytes)");
        }
      } catch (IllegalArgumentException e) {
        problem(key + ": not base64 (expected: base64 of at least " + minBytes + " random bytes)");
      }
      return raw;
    }

    boolean bool(String key, boolean fallback) {
      Optional<String> raw = optional(key);
      if (raw.isEmpty()) {
        return fallback;
      }
      return switch (raw.get().toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes" -> true;
        case "false", "0", "no" -> false;
        default -> {
          problem(key + ": " + raw.get() + " (expected: true or false)");
          yield fallback;
        }
      };
    }

    void problem(String message) {
      problems.add(message);
    }

    void throwIfProblems() {
      if (!problems.isEmpty()) {
        throw new ConfigException("invalid configuration:\n  " + String.join("\n  ", problems));
      }
    }
  }
}
