package dev.cairn.server.observability;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * The Prometheus registry every component reports to, and the small HTTP server that
 * exposes it at {@code /metrics} on its own port (so scraping never competes with gRPC).
 *
 * <p>The latency timers alerts and dashboards take quantiles of publish a fixed, short set of
 * histogram buckets (a quantile needs buckets; Micrometer's default percentile histogram has ~70
 * per series, too many per method and status). The registry also joins Micrometer's global
 * registry while it is open, for the rare events counted where no registry is passed in (audit
 * chains that fail verification).
 */
public final class Metrics implements AutoCloseable {
  /** The timers that publish {@code _bucket} series. */
  static final Set<String> HISTOGRAMS = Set.of("grpc.server.processing.duration", "cairn.search.latency", "cairn.jobs.run");
  /** Bucket bounds, 5 ms to 30 s: unary calls, searches and job runs alike. */
  static final Duration[] BUCKETS = {
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};
  /** Chains that did not verify, by who noticed: a VerifyAuditLog call or the checkpoint signer. */
  public static final String AUDIT_VERIFICATION_FAILURES = "cairn.audit.verification.failures";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private @Nullable HttpServer http;

  public Metrics() {
    registry.config().meterFilter(latencyBuckets());
    // registered up front so the series exist (at 0) before the first failure: increase() needs them
    for (String source : new String[] {"verify", "checkpoint"}) {
      Counter.builder(AUDIT_VERIFICATION_FAILURES).description("audit chains that did not verify")
          .tag("source", source).register(registry);
    }
    io.micrometer.core.instrument.Metrics.addRegistry(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  private static MeterFilter latencyBuckets() {
    double[] bounds = new double[BUCKETS.length];
    for (int i = 0; i < BUCKETS.length; i++) {
      bounds[i] = BUCKETS[i].toNanos();
    }
    var buckets = DistributionStatisticConfig.builder().serviceLevelObjectives(bounds).build();
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        return HISTOGRAMS.contains(id.getName()) ? buckets.merge(config) : config;
      }
    };
  }

  /** Counts an audit chain that failed verification ({@code source}: verify or checkpoint). */
  public static void auditVerificationFailed(String source) {
    io.micrometer.core.instrument.Metrics.counter(AUDIT_VERIFICATION_FAILURES, "source", source).increment();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Serves {@code /metrics} on {@code port} (0: any free port); returns the bound port. */
  public int serve(int port) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
      server.createContext(
          "/metrics",
          exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.setExecutor(Executors.newSingleThreadExecutor(r -> new Thread(r, "metrics-http")));
      server.start();
      http = server;
      return server.getAddress().getPort();
    } catch (IOException e) {
      throw new UncheckedIOException("could not listen for /metrics on port " + port, e);
    }
  }

  @Override
  public void close() {
    if (http != null) {
      http.stop(0);
    }
    io.micrometer.core.instrument.Metrics.removeRegistry(registry);
    gc.close();
    registry.close();
  }
}
