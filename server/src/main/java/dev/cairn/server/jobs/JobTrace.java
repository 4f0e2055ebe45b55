package dev.cairn.server.jobs;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A job's link to the span that enqueued it, kept with the job as a W3C {@code traceparent}
 * (the SDK's own propagator writes and reads it, so the format is the one on the wire).
 */
final class JobTrace {
  private static final String HEADER = "traceparent";
  private static final TextMapGetter<String> ONLY_TRACEPARENT = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(String carrier) {
      return List.of(HEADER);
    }

    @Override
    public @Nullable String get(@Nullable String carrier, String key) {
      return HEADER.equals(key) ? carrier : null;
    }
  };

  private JobTrace() {}

  /** The current span's traceparent, or null when no span is current (tracing off, no call). */
  static @Nullable String current() {
    if (!Span.current().getSpanContext().isValid()) {
      return null;
    }
    Map<String, String> carrier = new HashMap<>(2);
    W3CTraceContextPropagator.getInstance().inject(Context.current(), carrier, Map::put);
    return carrier.get(HEADER);
  }

  /** The enqueuing span's context, or invalid when none was stored. */
  static SpanContext enqueuedBy(@Nullable String traceparent) {
    if (traceparent == null) {
      return SpanContext.getInvalid();
    }
    Context extracted = W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, ONLY_TRACEPARENT);
    return Span.fromContext(extracted).getSpanContext();
  }
}
