package dev.cairn.server.search;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A span per search stage (lexical, prefix, typo, semantic, fuse, recheck, highlight, audit…),
 * each a child of its search's span even when a database transaction's span is current in
 * between: the search span travels in the context under its own key. Each stage's wall time is
 * also a {@code cairn.search.stage} timer by mode and stage, so where a search's time goes can be
 * read from the metrics (tools/bench/search.sh prints it) without a trace exporter. Without an
 * exporter a span is a few allocations against the milliseconds of SQL a stage runs.
 */
final class StageSpans {
  private static final ContextKey<Span> SEARCH = ContextKey.named("cairn.search");
  private static final ContextKey<String> MODE = ContextKey.named("cairn.search.mode");

  private final Tracer tracer;
  private final MeterRegistry metrics;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  StageSpans(Tracer tracer, MeterRegistry metrics) {
    this.tracer = tracer;
    this.metrics = metrics;
  }

  /** Makes {@code search} current and the parent of the stages run in the scope, timed under {@code mode}. */
  static Scope open(Span search, String mode) {
    return Context.current().with(search).with(SEARCH, search).with(MODE, mode).makeCurrent();
  }

  /** Runs one stage as a span {@code search.<stage>} under the current search's span. */
  <T> T around(String stage, Supplier<T> work) {
    Context now = Context.current();
    Span search = now.get(SEARCH);
    Span span = tracer.spanBuilder("search." + stage).setParent(search == null ? now : now.with(search)).startSpan();
    long started = System.nanoTime();
    try (Scope ignored = now.with(span).makeCurrent()) {
      return work.get();
    } catch (RuntimeException | Error e) {
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      throw e;
    } finally {
      span.end();
      String mode = now.get(MODE);
      timer(mode == null ? "NONE" : mode, stage).record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  /** As {@link #around(String, Supplier)} for work without a result. */
  void run(String stage, Runnable work) {
    around(stage, () -> {
      work.run();
      return null;
    });
  }

  /** Records {@code nanos} of wall time under {@code stage} (a part of a stage no span wraps, such as a commit). */
  void record(String stage, long nanos) {
    String mode = Context.current().get(MODE);
    timer(mode == null ? "NONE" : mode, stage).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private Timer timer(String mode, String stage) {
    return timers.computeIfAbsent(mode + "/" + stage, k -> Timer.builder("cairn.search.stage")
        .description("Wall time of one stage of a search, by mode (a stage run alongside another overlaps it)")
        .tag("mode", mode).tag("stage", stage).publishPercentiles(0.5).register(metrics));
  }
}
