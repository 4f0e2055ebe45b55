package dev.cairn.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The production logging configuration (logback.xml, both formats) writes the current span's
 * trace and span ids on every line, including lines logged on virtual threads.
 */
class LogTraceIdsTest {
  @ParameterizedTest
  @ValueSource(strings = {"json", "text"})
  void aLineLoggedOnAVirtualThreadInsideASpanCarriesItsTraceAndSpanIds(String format) throws Exception {
    String out = logThroughProductionConfig(format);

    assertThat(out).as(() -> "logback said: " + status).contains("a line inside a span");
    if (format.equals("json")) {
      assertThat(out).contains("\"trace_id\":\"" + ids.traceId + "\"").contains("\"span_id\":\"" + ids.spanId + "\"");
    } else {
      assertThat(out).contains("[" + ids.traceId + "] a line inside a span");
    }
  }

  private record Ids(String traceId, String spanId) {}

  private Ids ids;
  private String status = "";

  private String logThroughProductionConfig(String format) throws Exception {
    var captured = new ByteArrayOutputStream();
    PrintStream console = System.out;
    var context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as slf4j's provider does
    // Cairn's default tracing: spans with ids, nothing exported
    try (var tracing = Tracing.start(dev.cairn.server.config.CairnConfig.TracingConfig.defaults())) {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      context.putProperty("CAIRN_LOG_FORMAT", format);
      var configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(getClass().getResource("/logback.xml"));
      Span span = tracing.tracer().spanBuilder("work").startSpan();
      ids = new Ids(span.getSpanContext().getTraceId(), span.getSpanContext().getSpanId());
      try (Scope ignored = span.makeCurrent()) {
        Runnable inSpan = io.opentelemetry.context.Context.current().wrap(
            () -> context.getLogger("cairn.test").info("a line inside a span"));
        Thread.ofVirtual().start(inSpan).join();
      } finally {
        span.end();
      }
      // the async appender hangs under the span-id appender, which does not stop what it holds
      @SuppressWarnings("unchecked")
      var trace = (ch.qos.logback.core.spi.AppenderAttachable<ch.qos.logback.classic.spi.ILoggingEvent>)
          context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("trace");
      trace.getAppender("async").stop(); // drains its queue to the console
      context.stop();
      status = context.getStatusManager().getCopyOfStatusList().toString();
    } finally {
      System.setOut(console);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
