package dev.cairn.server.mcp;

import static java.util.Objects.requireNonNull;

import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Timer;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link CairnTool} for one MCP call: the caller from the transport context, the write-scope
 * rule, argument checks, metrics, the size bound on the result, and every failure as an error
 * result (never a protocol error) through {@link ToolErrors}.
 */
final class ToolRunner {
  private static final Logger log = LoggerFactory.getLogger(ToolRunner.class);
  private final ToolMetrics metrics;
  private final int maxResultChars;

  ToolRunner(ToolMetrics metrics, int maxResultChars) {
    this.metrics = requireNonNull(metrics, "metrics");
    this.maxResultChars = maxResultChars;
  }

  SyncToolSpecification specification(CairnTool tool) {
    var schema = new McpSchema.JsonSchema("object", tool.properties(), new ArrayList<>(tool.required()), false, null, null);
    var annotations = McpSchema.ToolAnnotations.builder().readOnlyHint(!tool.writes()).destructiveHint(false)
        .openWorldHint(false).build();
    McpSchema.Tool definition = McpSchema.Tool.builder().name(tool.name()).description(tool.description())
        .inputSchema(schema).annotations(annotations).build();
    return new SyncToolSpecification(definition, (context, request) -> run(tool, context, request.arguments()));
  }

  CallToolResult run(CairnTool tool, McpTransportContext context, Map<String, Object> arguments) {
    Timer.Sample sample = metrics.start();
    CallToolResult result;
    String code;
    try {
      McpCaller caller = (McpCaller) context.get(McpCaller.KEY);
      if (caller == null) {
        throw new IllegalStateException("an MCP call reached a tool without passing the bearer filter");
      }
      if (tool.writes() && !caller.canWrite()) {
        code = "PERMISSION_DENIED";
        result = ToolErrors.permissionDenied("this token lacks the write scope");
      } else {
        Set<String> known = new HashSet<>(tool.properties().keySet());
        Object value = tool.call(caller, new ToolArgs(arguments, known));
        String text = Json.pretty(value);
        if (text.length() > maxResultChars) {
          code = "RESOURCE_EXHAUSTED";
          result = ToolErrors.tooLarge(text.length(), maxResultChars);
        } else {
          code = "OK";
          result = CallToolResult.builder().addTextContent(text).isError(false).build();
        }
      }
    } catch (ToolInputException e) {
      code = "INVALID_ARGUMENT";
      result = ToolErrors.input(e);
    } catch (StatusRuntimeException e) {
      code = e.getStatus().getCode().name();
      result = ToolErrors.rpc(e, tool::argumentFor);
    } catch (RuntimeException e) {
      log.error("MCP tool {} failed", tool.name(), e);
      code = "INTERNAL";
      result = ToolErrors.internal();
    }
    metrics.record(tool.name(), sample, code);
    return result;
  }

  static List<String> names(List<CairnTool> tools) {
    return tools.stream().map(CairnTool::name).toList();
  }
}
