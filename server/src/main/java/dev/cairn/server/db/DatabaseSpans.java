package dev.cairn.server.db;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.function.Supplier;

/**
 * One span per transaction (or autocommit statement), from asking the pool for a connection to
 * commit or rollback: the time a call spends on PostgreSQL, pool wait included, as one bar under
 * the RPC's span. Not one span per statement: a transaction's statements are few and short, and
 * per-statement spans would multiply the cost of tracing for little more insight.
 *
 * <p>A failed span carries the exception's class, never its message: SQL errors can quote values.
 */
final class DatabaseSpans {
  private final Tracer tracer;

  DatabaseSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  <T> T around(String operation, Supplier<T> work) {
    Span span = tracer.spanBuilder("postgresql " + operation)
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute("db.system.name", "postgresql")
        .setAttribute("db.system", "postgresql")
        .setAttribute("db.operation.name", operation)
        .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      return work.get();
    } catch (RuntimeException | Error e) {
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      span.setAttribute("error.type", e.getClass().getName());
      throw e;
    } finally {
      span.end();
    }
  }
}
