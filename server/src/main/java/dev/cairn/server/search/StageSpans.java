package dev.cairn.server.search;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import java.util.function.Supplier;

/**
 * A span per search stage (lexical, prefix, typo, semantic, fuse, recheck, highlight), each a
 * child of its search's span even when a database transaction's span is current in between: the
 * search span travels in the context under its own key. Without an exporter a span is a few
 * allocations against the milliseconds of SQL a stage runs.
 */
final class StageSpans {
  private static final ContextKey<Span> SEARCH = ContextKey.named("cairn.search");

  private final Tracer tracer;

  StageSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  /** Makes {@code search} current and the parent of the stages run in the scope. */
  static Scope open(Span search) {
    return Context.current().with(search).with(SEARCH, search).makeCurrent();
  }

  /** Runs one stage as a span {@code search.<stage>} under the current search's span. */
  <T> T around(String stage, Supplier<T> work) {
    Context now = Context.current();
    Span search = now.get(SEARCH);
    Span span = tracer.spanBuilder("search." + stage).setParent(search == null ? now : now.with(search)).startSpan();
    try (Scope ignored = now.with(span).makeCurrent()) {
      return work.get();
    } catch (RuntimeException | Error e) {
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      throw e;
    } finally {
      span.end();
    }
  }
}
