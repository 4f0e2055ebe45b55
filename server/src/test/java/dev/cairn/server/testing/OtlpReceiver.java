package dev.cairn.server.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

/**
 * An OpenTelemetry collector's OTLP/HTTP traces endpoint, faked at its wire format: it accepts
 * {@code POST /v1/traces} with a protobuf {@code ExportTraceServiceRequest} (gzip or not), answers
 * as a collector does, and keeps every span it received with its resource's attributes.
 */
public final class OtlpReceiver implements AutoCloseable {
  /** A received span, ids in lowercase hex as in {@code traceparent}. */
  public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, int kind,
      Map<String, Object> attributes, Map<String, Object> resource, int statusCode) {
    public Object attribute(String key) {
      return attributes.get(key);
    }
  }

  private final HttpServer http;
  private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();

  public OtlpReceiver() {
    try {
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    http.createContext("/v1/traces", this::export);
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.start();
  }

  /** The base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (the SDK appends /v1/traces). */
  public String endpoint() {
    return "http://127.0.0.1:" + http.getAddress().getPort();
  }

  private void export(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.incrementAndGet();
      if (!exchange.getRequestMethod().equals("POST")
          || !"application/x-protobuf".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
        exchange.sendResponseHeaders(415, -1);
        return;
      }
      InputStream body = exchange.getRequestBody();
      if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        body = new GZIPInputStream(body);
      }
      var request = ExportTraceServiceRequest.parseFrom(body);
      for (var resourceSpans : request.getResourceSpansList()) {
        Map<String, Object> resource = attributes(resourceSpans.getResource().getAttributesList());
        for (var scopeSpans : resourceSpans.getScopeSpansList()) {
          for (Span span : scopeSpans.getSpansList()) {
            spans.add(new ReceivedSpan(hex(span.getTraceId().toByteArray()), hex(span.getSpanId().toByteArray()),
                hex(span.getParentSpanId().toByteArray()), span.getName(), span.getKindValue(),
                attributes(span.getAttributesList()), resource, span.getStatus().getCodeValue()));
          }
        }
      }
      byte[] response = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, response.length == 0 ? -1 : response.length);
      if (response.length > 0) {
        exchange.getResponseBody().write(response);
      }
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  private static Map<String, Object> attributes(List<KeyValue> values) {
    return values.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> value(kv.getValue()), (a, b) -> b));
  }

  private static Object value(AnyValue value) {
    return switch (value.getValueCase()) {
      case STRING_VALUE -> value.getStringValue();
      case INT_VALUE -> value.getIntValue();
      case BOOL_VALUE -> value.getBoolValue();
      case DOUBLE_VALUE -> value.getDoubleValue();
      default -> value.toString();
    };
  }

  /** Every span received so far. */
  public List<ReceivedSpan> spans() {
    return List.copyOf(spans);
  }

  /** How many export requests arrived (any path that reached /v1/traces). */
  public int requests() {
    return requests.get();
  }

  /** The first received span that matches, waiting up to {@code atMost} for it to arrive. */
  public ReceivedSpan await(Predicate<ReceivedSpan> matching, Duration atMost) throws InterruptedException {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (true) {
      for (ReceivedSpan span : spans) {
        if (matching.test(span)) {
          return span;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no matching span within " + atMost + "; received: "
            + spans.stream().map(s -> s.name() + " " + s.traceId()).toList());
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
