package dev.cairn.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.AppenderAttachable;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.MutableClock;
import dev.cairn.server.testing.OtlpReceiver;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.PrintStream;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Tracing's default: no export, no exporter thread, and still the caller's trace id in the logs. */
class TracingOffEndToEndTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

  @Test
  void withoutAnEndpointNoExporterThreadRunsAndLogLinesStillCarryTheCallersTraceId() {
    var logged = new ListAppender<ILoggingEvent>();
    try (var server = CairnServer.start(CairnTestServer.config(Map.of("CAIRN_JOBS_CONCURRENCY", "0")),
        new MutableClock(), new PrintStream(PrintStream.nullOutputStream()))) {
      assertThat(server.tracing().exporting()).isFalse();
      assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
          .noneMatch(name -> name.startsWith("BatchSpanProcessor"));

      withRequestLines(logged, () -> {
        callGetUser(server, TRACEPARENT);
        callGetUser(server, null);
      });
    }
    var lines = logged.list.stream().filter(e -> e.getLoggerName().equals("cairn.rpc")).toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).getMDCPropertyMap()).as("the caller's trace").containsEntry("trace_id", TRACE_ID);
    assertThat(lines.get(1).getMDCPropertyMap().get("trace_id")).as("a trace of its own")
        .matches("[0-9a-f]{32}").isNotEqualTo(TRACE_ID).isNotEqualTo("0".repeat(32));
  }

  @Test
  void anEndpointWithTheTracesExporterNoneSendsNothing() {
    try (var receiver = new OtlpReceiver()) {
      try (var server = CairnServer.start(CairnTestServer.config(Map.of(
              "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
              "OTEL_TRACES_EXPORTER", "none",
              "OTEL_BSP_SCHEDULE_DELAY", "10",
              "CAIRN_JOBS_CONCURRENCY", "0")),
          new MutableClock(), new PrintStream(PrintStream.nullOutputStream()))) {
        assertThat(server.tracing().exporting()).isFalse();
        callGetUser(server, TRACEPARENT);
      } // closing flushes whatever an exporter would have buffered
      assertThat(receiver.requests()).isZero();
    }
  }

  /** An anonymous GetUser (UNAUTHENTICATED is enough: the call and its log line still happen). */
  private static void callGetUser(CairnServer server, @Nullable String traceparent) {
    var channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
    try {
      Metadata headers = new Metadata();
      if (traceparent != null) {
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), traceparent);
      }
      IdentityServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .getUser(GetUserRequest.newBuilder().setName("users/me").build());
    } catch (StatusRuntimeException expected) {
      // no credential
    } finally {
      channel.shutdownNow();
    }
  }

  private static void withRequestLines(ListAppender<ILoggingEvent> logged, Runnable calls) {
    LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
    @SuppressWarnings("unchecked")
    var trace = (AppenderAttachable<ILoggingEvent>) logback.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("trace");
    Logger rpc = logback.getLogger("cairn.rpc");
    Level level = rpc.getLevel();
    logged.start();
    trace.addAppender(logged);
    rpc.setLevel(Level.INFO);
    try {
      calls.run();
    } finally {
      rpc.setLevel(level);
      trace.detachAppender(logged);
    }
  }
}
