package dev.cairn.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.AppenderAttachable;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.IdentityServiceGrpc.IdentityServiceBlockingStub;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.core.Principal;
import dev.cairn.server.jobs.Job;
import dev.cairn.server.jobs.JobHandler;
import dev.cairn.server.jobs.JobWorker;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.MutableClock;
import dev.cairn.server.testing.OtlpReceiver;
import dev.cairn.server.testing.OtlpReceiver.ReceivedSpan;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Tracing as an operator's collector sees it: a real Cairn over Netty exporting OTLP/HTTP to a
 * local receiver that decodes the protobuf wire format, with calls that carry a W3C traceparent.
 */
class TracingEndToEndTest {
  private static final Duration EXPORTED = Duration.ofSeconds(20);
  private static final int SPAN_KIND_CLIENT = 3;

  private static OtlpReceiver receiver;
  private static CairnServer server;
  private static ManagedChannel channel;
  private static User user;
  private static String token;

  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private Level rpcLevel;

  @BeforeAll
  static void start() {
    receiver = new OtlpReceiver();
    server = CairnServer.start(CairnTestServer.config(Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
            "OTEL_BSP_SCHEDULE_DELAY", "50",
            "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test",
            "CAIRN_JOBS_CONCURRENCY", "0")),
        new MutableClock(), new PrintStream(PrintStream.nullOutputStream()));
    channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
    var admin = IdentityServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN));
    user = admin.createUser(CreateUserRequest.newBuilder()
        .setUser(User.newBuilder().setUsername("traced-" + UUID.randomUUID().toString().substring(0, 8))).build()).getUser();
    token = admin.createApiToken(CreateApiTokenRequest.newBuilder().setParent(user.getName()).setDisplayName("test")
        .addScopes(TokenScope.TOKEN_SCOPE_READ).build()).getToken();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.close();
    receiver.close();
  }

  @BeforeEach
  void listenToLogLines() {
    // the same place production's console appender hangs: under the appender that adds span ids
    logged.start();
    LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
    @SuppressWarnings("unchecked")
    var trace = (AppenderAttachable<ILoggingEvent>) logback.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("trace");
    trace.addAppender(logged);
    Logger rpc = logback.getLogger("cairn.rpc");
    rpcLevel = rpc.getLevel();
    rpc.setLevel(Level.INFO); // the request lines, quiet in other tests
  }

  @AfterEach
  void stopListening() {
    LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
    @SuppressWarnings("unchecked")
    var trace = (AppenderAttachable<ILoggingEvent>) logback.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("trace");
    trace.detachAppender(logged);
    logback.getLogger("cairn.rpc").setLevel(rpcLevel);
  }

  /** A W3C trace context as Envoy or a client's SDK sends it. */
  record Traceparent(String traceId, String parentId) {
    static Traceparent random() {
      byte[] trace = new byte[16];
      byte[] parent = new byte[8];
      ThreadLocalRandom.current().nextBytes(trace);
      ThreadLocalRandom.current().nextBytes(parent);
      return new Traceparent(HexFormat.of().formatHex(trace), HexFormat.of().formatHex(parent));
    }

    String header() {
      return "00-" + traceId + "-" + parentId + "-01";
    }
  }

  static IdentityServiceBlockingStub identity(Traceparent traceparent) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), traceparent.header());
    return IdentityServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(CairnTestServer.bearer(token))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Test
  void rpcSpanContinuesTheCallersTraceparentWithRpcAttributes() throws Exception {
    var caller = Traceparent.random();
    identity(caller).getUser(GetUserRequest.newBuilder().setName("users/me").build());

    ReceivedSpan rpc = receiver.await(s -> s.traceId().equals(caller.traceId()) && s.name().startsWith("Recv."), EXPORTED);
    assertThat(rpc.name()).isEqualTo("Recv.cairn.identity.v1.IdentityService.GetUser");
    assertThat(rpc.parentSpanId()).as("a child of the caller's span").isEqualTo(caller.parentId());
    assertThat(rpc.attributes()).containsEntry("rpc.system", "grpc")
        .containsEntry("rpc.service", "cairn.identity.v1.IdentityService")
        .containsEntry("rpc.method", "GetUser")
        .containsEntry("rpc.grpc.status_code", 0L)
        .containsKey("cairn.request_id");
    assertThat(rpc.resource()).containsEntry("service.name", "cairn")
        .containsEntry("deployment.environment.name", "test");
  }

  @Test
  void databaseTimeIsASpanUnderTheRpcSpan() throws Exception {
    var caller = Traceparent.random();
    identity(caller).getUser(GetUserRequest.newBuilder().setName("users/me").build());

    ReceivedSpan rpc = receiver.await(s -> s.traceId().equals(caller.traceId()) && s.name().startsWith("Recv."), EXPORTED);
    ReceivedSpan db = receiver.await(s -> s.traceId().equals(caller.traceId()) && s.name().equals("postgresql transaction"),
        EXPORTED);
    assertThat(db.parentSpanId()).isEqualTo(rpc.spanId());
    assertThat(db.kind()).isEqualTo(SPAN_KIND_CLIENT);
    assertThat(db.attributes()).containsEntry("db.system.name", "postgresql");
  }

  @Test
  void theRpcsRequestLogLineCarriesItsTraceAndSpanIds() throws Exception {
    var caller = Traceparent.random();
    identity(caller).getUser(GetUserRequest.newBuilder().setName("users/me").build());

    ReceivedSpan rpc = receiver.await(s -> s.traceId().equals(caller.traceId()) && s.name().startsWith("Recv."), EXPORTED);
    List<ILoggingEvent> lines = logged.list.stream()
        .filter(e -> e.getLoggerName().equals("cairn.rpc") && e.getFormattedMessage().contains("GetUser"))
        .filter(e -> caller.traceId().equals(e.getMDCPropertyMap().get("trace_id")))
        .toList();
    assertThat(lines).hasSize(1);
    assertThat(lines.getFirst().getMDCPropertyMap())
        .containsEntry("span_id", rpc.spanId())
        .containsEntry("request_id", (String) rpc.attribute("cairn.request_id"));
  }

  @Test
  void eachJobRunIsARootSpanWithKindAttemptOutcomeAndItsDatabaseTime() throws Exception {
    String kind = "traced-" + UUID.randomUUID().toString().substring(0, 8); // no other worker runs it
    UUID owner = UUID.fromString(user.getName().substring("users/".length()));
    var job = LoggerFactory.getLogger("cairn.test.job");
    var worker = new JobWorker(server.jobQueue(),
        List.of(JobHandler.of(kind, claimed -> {
          server.database().transaction(claimed.principal(), sql -> sql.selectOne().fetch());
          job.info("job ran");
        })),
        CairnTestServer.config(Map.of()).jobs(), new SimpleMeterRegistry(), new Random(7), server.tracing().tracer());
    try (worker) {
      server.database().transaction(Principal.system(owner), sql -> server.jobQueue().enqueue(sql, Job.of(kind, owner)));
      assertThat(worker.runDue()).isEqualTo(1);
    }

    ReceivedSpan run = receiver.await(s -> s.name().equals("job " + kind), EXPORTED);
    assertThat(run.parentSpanId()).as("a root of its own").isEmpty();
    assertThat(run.attributes()).containsEntry("cairn.job.kind", kind)
        .containsEntry("cairn.job.attempt", 1L)
        .containsEntry("cairn.job.outcome", "done");
    ReceivedSpan db = receiver.await(s -> s.traceId().equals(run.traceId()) && s.name().equals("postgresql transaction"),
        EXPORTED);
    assertThat(db.parentSpanId()).isEqualTo(run.spanId());
    ILoggingEvent line = logged.list.stream().filter(e -> e.getFormattedMessage().equals("job ran")).findFirst().orElseThrow();
    assertThat(line.getThreadName()).as("logged on the job's virtual thread").startsWith("cairn-job-");
    assertThat(line.getMDCPropertyMap()).containsEntry("trace_id", run.traceId());
  }

  @Test
  void aSearchIsASpanUnderItsRpcWithTheQueryEmbeddingAndEachStageAsItsChildren() throws Exception {
    var caller = Traceparent.random();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), caller.header());
    dev.cairn.search.v1.SearchServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(CairnTestServer.bearer(token))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .search(dev.cairn.search.v1.SearchRequest.newBuilder().setQuery("what do the notes say")
            .setMode(dev.cairn.search.v1.SearchMode.SEARCH_MODE_HYBRID).build());

    ReceivedSpan rpc = receiver.await(s -> s.traceId().equals(caller.traceId()) && s.name().startsWith("Recv."), EXPORTED);
    ReceivedSpan search = receiver.await(s -> s.traceId().equals(caller.traceId()) && s.name().equals("search"), EXPORTED);
    ReceivedSpan embed = receiver.await(s -> s.traceId().equals(caller.traceId()) && s.name().equals("embed query"),
        EXPORTED);
    assertThat(search.parentSpanId()).isEqualTo(rpc.spanId());
    assertThat(search.attributes()).containsEntry("cairn.search.mode", "HYBRID").containsEntry("cairn.search.hits", 0L);
    assertThat(embed.parentSpanId()).isEqualTo(search.spanId());
    // each stage its own child of the search span (not of the database transaction's span between them)
    for (String stage : java.util.List.of("search.lexical", "search.prefix", "search.semantic", "search.fuse",
        "search.recheck", "search.highlight")) {
      ReceivedSpan child = receiver.await(s -> s.traceId().equals(caller.traceId()) && s.name().equals(stage), EXPORTED);
      assertThat(child.parentSpanId()).as(stage).isEqualTo(search.spanId());
    }
  }
}
