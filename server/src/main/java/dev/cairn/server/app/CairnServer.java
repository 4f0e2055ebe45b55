package dev.cairn.server.app;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.chat.ChatModule;
import dev.cairn.server.chat.generate.Generator;
import dev.cairn.server.config.CairnConfig;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.DatabaseBootstrap;
import dev.cairn.server.db.EmbeddedDatabase;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.grpc.AuthInterceptor;
import dev.cairn.server.core.Principal;
import dev.cairn.server.grpc.ErrorMapper;
import dev.cairn.server.grpc.RequestLogInterceptor;
import dev.cairn.server.grpc.RequestParsing;
import dev.cairn.server.grpc.RpcSpanInterceptor;
import dev.cairn.server.grpc.ValidationInterceptor;
import dev.cairn.server.identity.IdentityGrpcService;
import dev.cairn.server.identity.IdentityService;
import dev.cairn.server.identity.TokenAuthenticator;
import dev.cairn.server.jobs.JobHandler;
import dev.cairn.server.jobs.JobQueue;
import dev.cairn.server.search.SearchModule;
import dev.cairn.server.search.SearchSettings;
import dev.cairn.server.search.VectorSync;
import dev.cairn.server.search.embed.BatchingEmbedder;
import dev.cairn.server.search.embed.Embedder;
import dev.cairn.server.search.embed.EmbedderSettings;
import dev.cairn.server.search.embed.OnnxEmbedder;
import dev.cairn.server.search.embed.OnnxModel;
import dev.cairn.server.search.embed.OpenAiEmbedder;
import dev.cairn.server.search.embed.OpenAiEmbedderSettings;
import dev.cairn.server.search.ingest.ChunkingSettings;
import dev.cairn.server.search.ingest.ExtractionSettings;
import dev.cairn.server.jobs.JobWorker;
import dev.cairn.server.identity.TokenCache;
import dev.cairn.server.observability.Metrics;
import dev.cairn.server.web.ConsoleSite;
import dev.cairn.server.observability.Tracing;
import dev.cairn.server.audit.AccessDenials;
import dev.cairn.server.crypto.Attestations;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.crypto.DataKeys;
import dev.cairn.server.crypto.KeyEncryptionKeys;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.VaultModule;
import dev.cairn.server.core.Authenticator;
import dev.cairn.server.mcp.McpEndpoint;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Cairn: the database (embedded or external), migrations, the connection pool,
 * the gRPC server with its interceptors and services, health, reflection and metrics.
 * {@link #start} brings it all up in order and marks health SERVING last; {@link #close}
 * drains in-flight calls within the configured grace and stops everything it started.
 */
public final class CairnServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CairnServer.class);
  /** Calls that work without an account. */
  static final Set<String> ANONYMOUS_METHODS =
      Set.of(
          "cairn.vault.v1.SharingService/RedeemAccessLink",
          "cairn.vault.v1.SharingService/GetAttestationKey");

  private final CairnConfig config;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final HealthStatusManager health = new HealthStatusManager();
  private @Nullable Server server;
  private @Nullable Database database;
  private @Nullable VaultContext vaultContext;
  private @Nullable JobQueue jobQueue;
  private @Nullable JobWorker jobWorker;
  private @Nullable Embedder embedder;
  private @Nullable VectorSync vectors;
  private int metricsPort = -1;
  private int webPort = -1;
  private io.micrometer.core.instrument.@Nullable MeterRegistry meters;
  private @Nullable McpEndpoint mcpEndpoint;
  private @Nullable Authenticator authenticator;
  private @Nullable Tracing tracing;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private CairnServer(CairnConfig config) {
    this.config = config;
  }

  /** Starts everything, serving gRPC over Netty on the configured port. */
  public static CairnServer start(CairnConfig config, Clock clock, PrintStream console) {
    requireNonNull(config, "config");
    return start(config, clock, console, netty(config));
  }

  /**
   * As {@link #start(CairnConfig, Clock, PrintStream)}, with chat answered by {@code chatGenerator}
   * instead of the configured one (tests and benchmarks that need to control an answer's pace).
   */
  public static CairnServer start(CairnConfig config, Clock clock, PrintStream console, Generator chatGenerator) {
    requireNonNull(config, "config");
    requireNonNull(chatGenerator, "chatGenerator");
    return start(config, clock, console, netty(config), chatGenerator);
  }

  /**
   * Starts everything, serving on {@code transport} (Netty in production; an in-process
   * builder lets a test run its own server, with its own clock, without a port). On failure
   * stops what was started and rethrows.
   */
  public static CairnServer start(CairnConfig config, Clock clock, PrintStream console, ServerBuilder<?> transport) {
    return start(config, clock, console, transport, null);
  }

  private static CairnServer start(CairnConfig config, Clock clock, PrintStream console, ServerBuilder<?> transport,
      @Nullable Generator chatGenerator) {
    requireNonNull(config, "config");
    requireNonNull(transport, "transport");
    var cairn = new CairnServer(config);
    try {
      cairn.startAll(clock, console, transport, chatGenerator);
      return cairn;
    } catch (RuntimeException | Error e) {
      cairn.close();
      throw e;
    }
  }

  /** The production transport: Netty on the configured port, with its HTTP/2 settings. */
  static ServerBuilder<?> netty(CairnConfig config) {
    return NettyServerBuilder.forAddress(new InetSocketAddress(config.grpcPort()))
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
  }

  private void startAll(Clock clock, PrintStream console, ServerBuilder<?> builder, @Nullable Generator chatGenerator) {
    // first up, last down: spans of the final calls and jobs are exported before it stops
    var tracing = Tracing.start(config.tracing());
    this.tracing = tracing;
    resources.add(tracing);
    createDataDir();
    var db = config.database();
    String jdbcUrl;
    String appPassword;
    if (db.embedded()) {
      EmbeddedDatabase embedded = EmbeddedDatabase.start(config.dataDir().resolve("postgres"), db.embeddedPort());
      resources.add(embedded);
      jdbcUrl = embedded.jdbcUrl();
      appPassword = embeddedAppPassword();
    } else {
      jdbcUrl = requireNonNull(db.url());
      appPassword = requireNonNull(db.appPassword());
    }
    DatabaseBootstrap bootstrap;
    if (db.migrate()) {
      bootstrap = new DatabaseBootstrap(jdbcUrl, db.ownerUser(), db.ownerPassword());
      bootstrap.ensureAppRole(db.appUser(), appPassword);
      bootstrap.migrate(db.appUser());
    } else {
      // the migrate command (a Helm hook Job) did both before any replica started: replicas never
      // race, and check as the app role, so they need no owner credentials at all
      bootstrap = new DatabaseBootstrap(jdbcUrl, db.appUser(), appPassword);
      bootstrap.requireMigrated(db.appUser());
      log.info("database migrations: not applied at start (CAIRN_DATABASE_MIGRATE=false); the schema is current");
    }
    bootstrap.warnIfNotDurable();

    var metrics = new Metrics();
    resources.add(metrics);
    meters = metrics.registry();
    database = new Database(jdbcUrl, db.appUser(), appPassword, db.poolSize(), metrics.registry(), clock,
        config.vault().maxItemsPerUser(), tracing.tracer());
    resources.add(database);

    var random = new SecureRandom();
    vaultContext = vaultContext(database, clock, random);
    jobQueue = new JobQueue(database, clock, UUID::randomUUID, config.jobs().maxAttempts());
    embedder = embedder(config.search(), metrics);
    // caught up (or rebuilt) before the server serves: health is NOT_SERVING until then
    Database listening = database;
    vectors = VectorSync.open(database, config.dataDir().resolve("vector-index"), embedder.modelId(),
        embedder.dimensions(), config.search().vectorPoll(),
        () -> listening.openDedicatedConnection("cairn-vector-listener"), metrics.registry());
    resources.add(vectors);
    var search = new SearchModule(
        new SearchModule.Parts(database, vaultContext.contentStore(), vaultContext.access(), vaultContext.audit(),
            vaultContext.pageTokens(), jobQueue, clock, metrics.registry(), embedder, vectors, tracing.tracer()),
        searchSettings(config.search()), ExtractionSettings.defaults(), chunkingSettings(config.search()));
    search.indexer().enqueueVectorBackfill(config.jobs().maxAttempts());
    var vault = new VaultModule(vaultContext, jobQueue, List.of(search.itemListener()));
    resources.add(vault);
    if (config.jobs().concurrency() > 0) {
      // closed before the vault module and the pool (resources close in reverse)
      List<JobHandler> handlers = new ArrayList<>(vault.jobHandlers());
      handlers.addAll(search.jobHandlers());
      jobWorker = new JobWorker(jobQueue, handlers, config.jobs(), metrics.registry(), random, tracing.tracer())
          .start();
      resources.add(jobWorker);
    }
    TokenAuthenticator tokens = tokenAuthenticator(database, clock, metrics);
    var identity =
        new IdentityService(
            database, vaultContext.pageTokens(), random, clock, UUID::randomUUID, List.of(vault.cryptoShredder()),
            tokens);
    authenticator = tokens;
    var auth = new AuthInterceptor(tokens, ANONYMOUS_METHODS);
    var validation = new ValidationInterceptor();

    List<BindableService> cairnServices = new ArrayList<>();
    cairnServices.add(new IdentityGrpcService(identity));
    cairnServices.addAll(vault.services());
    cairnServices.addAll(search.services());
    Generator generator = chatGenerator;
    if (generator == null) {
      generator = ChatGenerators.configured(config.chat());
      if (generator instanceof AutoCloseable closeable) {
        resources.add(closeable); // after the chat module below has stopped its answers
      }
    }
    var chat = new ChatModule(new ChatModule.Parts(database, vaultContext.contentStore(), vaultContext.access(),
        vaultContext.audit(), vaultContext.pageTokens(), search.service(), generator, clock, UUID::randomUUID,
        metrics.registry(), tracing.tracer()));
    // closed after the server has drained its calls, before the pool (resources close in reverse)
    resources.add(chat);
    cairnServices.addAll(chat.services());

    // named: logback finds an unnamed virtual thread's name by reflection on every log line
    ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("cairn-call-", 0).factory());
    resources.add(executor::shutdownNow);
    builder
        .executor(executor)
        .maxInboundMessageSize(8 * 1024 * 1024)
        // Envoy's default header limit is 60 KiB, Netty's 8 KiB: headers between the two
        // would reset the stream; this way they reach AuthInterceptor, which answers
        .maxInboundMetadataSize(AuthInterceptor.MAX_METADATA_BYTES);
    addCairnServices(builder, cairnServices, validation, auth, metrics);
    builder
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .addService(ProtoReflectionService.newInstance());
    // outermost of all: opens the call's span and makes it current around every interceptor
    tracing.configure(builder);
    health.setStatus("", ServingStatus.NOT_SERVING);
    try {
      server = builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not listen for gRPC on port " + config.grpcPort(), e);
    }
    if (config.metricsPort() >= 0) {
      metricsPort = metrics.serve(config.metricsPort());
    }
    if (config.web().enabled()) {
      ConsoleSite site = ConsoleSite.start(requireNonNull(config.web().dir(), "web.dir"), config.web().port());
      resources.add(site);
      webPort = site.port();
    }
    if (config.mcp().enabled()) {
      startMcp(executor, cairnServices, validation, auth, metrics);
    }
    if (config.createDemoUser()) {
      DemoUser.createIfFirstStart(identity, config.dataDir(), console);
    }
    for (BindableService service : cairnServices) {
      health.setStatus(service.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    health.setStatus("", ServingStatus.SERVING);
    log.info("Cairn is serving gRPC on port {} (metrics on {})", grpcPort(), metricsPort);
  }

  private static ChunkingSettings chunkingSettings(CairnConfig.SearchConfig search) {
    return new ChunkingSettings(search.chunkTokens(), search.chunkOverlapTokens(), ChunkingSettings.defaults().maxChunksPerItem());
  }

  private static SearchSettings searchSettings(CairnConfig.SearchConfig search) {
    return SearchSettings.defaults()
        .withRanking(search.bm25K1(), search.bm25B(), search.maxCandidates())
        .withFusion(search.rrfK(), search.lexicalWeight(), search.semanticWeight(), search.fusionDepth())
        .withQueryCache(search.queryCacheEntries(), search.queryCacheTtl());
  }

  /**
   * Cairn's services with the interceptors every call passes, in order: request id and log,
   * metrics, error mapping (global, the last added runs first), then per service authentication,
   * validation and parsing.
   */
  private static void addCairnServices(ServerBuilder<?> builder, List<BindableService> services,
      ValidationInterceptor validation, AuthInterceptor auth, Metrics metrics) {
    for (BindableService service : services) {
      // validation runs after authentication: unauthenticated callers learn nothing about fields
      ServerServiceDefinition definition = ServerInterceptors.intercept(service, validation, auth);
      // parsed after authentication, inside the ErrorMapper: malformed bytes are INVALID_ARGUMENT
      builder.addService(RequestParsing.insideInterceptors(definition));
    }
    builder
        // the last added runs first. The RPC's span (its attributes, and its context around
        // closing) is innermost, so what the others log while closing has its trace id
        .intercept(new RpcSpanInterceptor())
        .intercept(new ErrorMapper())
        .intercept(new MetricCollectingServerInterceptor(metrics.registry()))
        .intercept(new RequestLogInterceptor());
  }

  /**
   * The MCP endpoint and the in-process gRPC server its tools call: the same services behind the
   * same interceptors as the public port, so a tool is an RPC with the caller's token and nothing
   * else (no second access path). Stopped before the pool, after the public server has drained.
   */
  private void startMcp(ExecutorService executor, List<BindableService> services, ValidationInterceptor validation,
      AuthInterceptor auth, Metrics metrics) {
    String name = "cairn-mcp-" + UUID.randomUUID();
    InProcessServerBuilder inProcess = InProcessServerBuilder.forName(name);
    inProcess.executor(executor).maxInboundMessageSize(8 * 1024 * 1024);
    addCairnServices(inProcess, services, validation, auth, metrics);
    Server local;
    try {
      local = inProcess.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the in-process server for MCP", e);
    }
    resources.add(() -> {
      local.shutdown();
      if (!local.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        local.shutdownNow();
      }
    });
    ManagedChannel channel = InProcessChannelBuilder.forName(name).executor(executor).build();
    resources.add(channel::shutdownNow);
    McpEndpoint endpoint = McpEndpoint.start(config.mcp(), channel, requireNonNull(authenticator, "authenticator"), metrics.registry(),
        version());
    resources.add(endpoint); // closed first: no tool call starts once shutdown began
    mcpEndpoint = endpoint;
  }

  private static String version() {
    String version = CairnServer.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  /**
   * The configured embedder (closed with the server): the in-process model, or a remote
   * OpenAI-compatible endpoint whose passages are counted by the in-process model's tokenizer.
   */
  private Embedder embedder(CairnConfig.SearchConfig search, Metrics metrics) {
    OnnxModel model = search.model().equals("minilm") ? OnnxModel.ALL_MINILM_L6_V2_Q : OnnxModel.BGE_SMALL_EN_V15_Q;
    OnnxEmbedder local = OnnxEmbedder.open(EmbedderSettings.defaults(model).withIntraOpThreads(search.embedThreads()));
    resources.add(local);
    Embedder chosen = local;
    if (search.embeddingsUrl() != null) {
      OpenAiEmbedder remote = OpenAiEmbedder.create(OpenAiEmbedderSettings.defaults(search.embeddingsUrl(),
          search.embeddingsKey(), search.embeddingsModel(), search.embeddingsDimensions(), local.maxTokens()),
          local::countTokens);
      resources.add(remote);
      chosen = remote;
    }
    // closed before the model (resources close in reverse) and after the job worker that feeds it
    var batcher = new BatchingEmbedder(chosen, search.embedBatch(), search.embedQueue(), Duration.ofSeconds(10),
        metrics.registry());
    resources.add(batcher);
    return batcher;
  }

  /** The authenticator, and while caching is on, the listener that keeps its cache honest. */
  private TokenAuthenticator tokenAuthenticator(Database db, Clock clock, Metrics metrics) {
    var cache =
        TokenCache.start(
            config.authCacheTtl(), clock, metrics.registry(), () -> db.openDedicatedConnection("cairn-auth-listener"));
    resources.add(cache);
    return new TokenAuthenticator(db, config.adminToken(), clock, cache);
  }

  private VaultContext vaultContext(Database db, Clock clock, SecureRandom random) {
    var keys = config.keys();
    Path dir = config.dataDir();
    String kek = Secrets.resolve(keys.kek(), dir, "kek.keyset", "CAIRN_KEK", KeyEncryptionKeys::generate);
    String hmac =
        Secrets.resolve(keys.auditHmacKey(), dir, "audit-hmac.key", "CAIRN_AUDIT_HMAC_KEY", () -> {
          byte[] key = new byte[32];
          random.nextBytes(key);
          return Base64.getEncoder().encodeToString(key);
        });
    String attestation =
        Secrets.resolve(keys.attestationKey(), dir, "attestation.keyset", "CAIRN_ATTESTATION_KEY", Attestations::generateKey);
    var audit = new AuditLog(Base64.getDecoder().decode(hmac), clock);
    var pageTokens = pageTokens(keys, hmac);
    var denials = new AccessDenials(db, audit);
    return new VaultContext(
        db,
        new DataKeys(new KeyEncryptionKeys(kek, keys.kekPrevious())),
        audit,
        new VaultAccess(denials::record),
        config.vault(),
        Attestations.parseKey(attestation),
        pageTokens,
        clock,
        UUID::randomUUID,
        random);
  }

  /** The configured page-token key, else one derived from the (shared) audit HMAC key. */
  private static PageTokens pageTokens(CairnConfig.KeyConfig keys, String auditHmacKey) {
    String configured = keys.pageTokenKey();
    return configured != null
        ? new PageTokens(Base64.getDecoder().decode(configured))
        : PageTokens.derivedFrom(Base64.getDecoder().decode(auditHmacKey));
  }

  private void createDataDir() {
    try {
      Files.createDirectories(config.dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("could not create the data folder " + config.dataDir(), e);
    }
  }

  /** The embedded database's application-role password: generated once, kept in the data folder. */
  private String embeddedAppPassword() {
    Path file = config.dataDir().resolve("db-app-password");
    try {
      if (Files.exists(file)) {
        return Files.readString(file).trim();
      }
      byte[] bytes = new byte[24];
      new SecureRandom().nextBytes(bytes);
      String password = HexFormat.of().formatHex(bytes);
      DemoUser.writeSecret(file, password + "\n");
      return password;
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + file, e);
    }
  }

  public int grpcPort() {
    return requireNonNull(server, "server").getPort();
  }

  /** The server's meters (what /metrics shows), for tests that check a counter. */
  public io.micrometer.core.instrument.MeterRegistry meters() {
    return java.util.Objects.requireNonNull(meters, "meters");
  }

  /** The MCP endpoint's port, or -1 when disabled. */
  public int mcpPort() {
    return mcpEndpoint == null ? -1 : mcpEndpoint.port();
  }

  /** The /metrics port, or -1 when disabled. */
  public int metricsPort() {
    return metricsPort;
  }

  /** The console's HTTP port, or -1 when no console is served. */
  public int webPort() {
    return webPort;
  }

  /** This process's tracing (tests and tools that make spans of their own parts). */
  public Tracing tracing() {
    return requireNonNull(tracing, "tracing");
  }

  /** The application's pool, for tests that look at the database directly. */
  public Database database() {
    return requireNonNull(database, "database");
  }

  /** The vault's shared context (keys, audit), for test fixtures that write vault rows directly. */
  public VaultContext vault() {
    return requireNonNull(vaultContext, "vaultContext");
  }

  /** The job queue, for tests and tools that enqueue directly. */
  public JobQueue jobQueue() {
    return requireNonNull(jobQueue, "jobQueue");
  }

  /** This replica's job worker (tests run due jobs through it), or null when it runs none. */
  /** The embedding model search uses (for tools and tests that index by hand). */
  public Embedder embedder() {
    return requireNonNull(embedder, "embedder");
  }

  /** This replica's vector index. */
  public VectorSync vectors() {
    return requireNonNull(vectors, "vectors");
  }

  public @Nullable JobWorker jobWorker() {
    return jobWorker;
  }

  /** Re-wraps every owner's data key with the current KEK (after a KEK rotation). */
  public DataKeys.Rewrap rewrapDataKeys() {
    VaultContext vault = vault();
    return vault.database().transaction(Principal.forAdmin(), sql -> vault.dataKeys().rewrapAll(sql));
  }

  public void awaitTermination() throws InterruptedException {
    if (server != null) {
      server.awaitTermination();
    }
  }

  /** Idempotent: the shutdown hook and an explicit close may both call it. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    health.enterTerminalState();
    if (server != null) {
      server.shutdown();
      try {
        if (!server.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("calls still running after {}; cancelling them", config.shutdownGrace());
          server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        log.warn("error while stopping", e);
      }
    }
    resources.clear();
  }
}
