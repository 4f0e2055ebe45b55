package dev.cairn.server.mcp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Per-tool metrics on the server's registry: {@code cairn_mcp_tool_calls_total{tool,outcome,code}}
 * (outcome {@code ok} or {@code error}, code the gRPC status name) and the latency timer
 * {@code cairn_mcp_tool_duration_seconds{tool}}.
 */
final class ToolMetrics {
  private final MeterRegistry registry;

  ToolMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  Timer.Sample start() {
    return Timer.start(registry);
  }

  void record(String tool, Timer.Sample sample, String code) {
    sample.stop(Timer.builder("cairn.mcp.tool.duration").description("MCP tool call latency")
        .tag("tool", tool).publishPercentileHistogram().register(registry));
    Counter.builder("cairn.mcp.tool.calls").description("MCP tool calls by outcome and status code")
        .tag("tool", tool).tag("outcome", "OK".equals(code) ? "ok" : "error").tag("code", code)
        .register(registry).increment();
  }
}
