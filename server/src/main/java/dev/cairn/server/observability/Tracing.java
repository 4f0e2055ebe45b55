package dev.cairn.server.observability;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.config.CairnConfig.TracingConfig;
import dev.cairn.server.config.ConfigException;
import io.grpc.ServerBuilder;
import io.grpc.opentelemetry.GrpcOpenTelemetry;
import io.grpc.opentelemetry.InternalGrpcOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's OpenTelemetry: the SDK autoconfigured from the standard {@code OTEL_*} variables
 * (W3C {@code traceparent} propagation, the configured sampler, service name {@code cairn}),
 * exporting over OTLP/HTTP only when an endpoint is configured. Without one, spans are still made,
 * so log lines carry trace ids and a caller's trace id is continued, but nothing leaves the process
 * and no exporter thread runs. With {@code OTEL_SDK_DISABLED=true} there is no tracing at all.
 *
 * <p>RPC spans come from grpc-java's OpenTelemetry module ({@link #configure}); the database, jobs,
 * search and chat make their own through {@link #tracer}.
 */
public final class Tracing implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Tracing.class);
  /** The instrumentation scope of Cairn's own spans. */
  public static final String SCOPE = "dev.cairn.server";

  /**
   * A processor that does nothing. Without any, the SDK hands out invalid (all-zero) spans, and
   * log lines of calls without a traceparent would have no trace id when nothing is exported.
   */
  private static final SpanProcessor KEEP_IDS = new SpanProcessor() {
    @Override
    public void onStart(Context parent, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {}

    @Override
    public boolean isEndRequired() {
      return false;
    }
  };

  private final OpenTelemetry openTelemetry;
  private final @Nullable OpenTelemetrySdk sdk;
  private final boolean exporting;

  private Tracing(OpenTelemetry openTelemetry, @Nullable OpenTelemetrySdk sdk, boolean exporting) {
    this.openTelemetry = openTelemetry;
    this.sdk = sdk;
    this.exporting = exporting;
  }

  /** No tracing at all (tools and tests that build parts by hand). */
  public static Tracing off() {
    return new Tracing(OpenTelemetry.noop(), null, false);
  }

  /** Starts the SDK as configured; a setting the SDK rejects fails the start like any other. */
  public static Tracing start(TracingConfig config) {
    requireNonNull(config, "config");
    if (config.sdkDisabled()) {
      return off();
    }
    boolean exporting = config.exporting();
    try {
      OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
          .addPropertiesSupplier(() -> defaults(exporting))
          // the config's variables win over the process's own (tests pass theirs in)
          .addPropertiesCustomizer(ignored -> properties(config.otel(), exporting))
          .disableShutdownHook() // closed with the server, after its calls have drained
          .addTracerProviderCustomizer((tracers, ignored) -> exporting ? tracers : tracers.addSpanProcessor(KEEP_IDS))
          .build()
          .getOpenTelemetrySdk();
      if (exporting) {
        log.info("tracing: exporting spans over OTLP ({})", config);
      }
      return new Tracing(sdk, sdk, exporting);
    } catch (ConfigurationException e) {
      throw new ConfigException("invalid configuration:\n  OTEL_*: " + e.getMessage());
    }
  }

  /** What Cairn assumes where the operator said nothing. */
  private static Map<String, String> defaults(boolean exporting) {
    return Map.of(
        "otel.service.name", "cairn",
        "otel.traces.exporter", exporting ? "otlp" : "none",
        "otel.exporter.otlp.protocol", "http/protobuf",
        // metrics stay with Micrometer/Prometheus, logs with logback
        "otel.metrics.exporter", "none",
        "otel.logs.exporter", "none");
  }

  /** OTEL_FOO_BAR=v as the SDK's otel.foo.bar=v, the mapping the SDK applies to its environment. */
  private static Map<String, String> properties(Map<String, String> otel, boolean exporting) {
    var properties = new HashMap<String, String>();
    otel.forEach((key, value) -> properties.put(key.toLowerCase(Locale.ROOT).replace('_', '.'), value));
    // spans go out only to an endpoint the operator named, never to the SDK's default localhost:4318
    properties.put("otel.traces.exporter", exporting ? "otlp" : "none");
    properties.put("otel.metrics.exporter", "none");
    properties.put("otel.logs.exporter", "none");
    return properties;
  }

  /**
   * Adds grpc-java's server span (named {@code Recv.<service>.<method>}, a child of the caller's
   * {@code traceparent}) and makes it current while the call's handlers run. Call it after the
   * server's other interceptors are added: the span must be current around all of them.
   */
  public void configure(ServerBuilder<?> server) {
    if (sdk == null) {
      return;
    }
    GrpcOpenTelemetry.Builder grpc = GrpcOpenTelemetry.newBuilder().sdk(openTelemetry).disableAllMetrics();
    // grpc-java 1.83 ships its tracing behind this switch (gRFC A72, still experimental there)
    InternalGrpcOpenTelemetry.enableTracing(grpc, true);
    grpc.build().configureServerBuilder(server);
  }

  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /** The tracer of Cairn's own spans. */
  public Tracer tracer() {
    return openTelemetry.getTracer(SCOPE);
  }

  /** Whether spans are exported (an OTLP endpoint is configured). */
  public boolean exporting() {
    return exporting;
  }

  /** Exports what is buffered (bounded), then stops the exporter. */
  @Override
  public void close() {
    if (sdk != null) {
      sdk.shutdown().join(10, TimeUnit.SECONDS);
    }
  }
}
