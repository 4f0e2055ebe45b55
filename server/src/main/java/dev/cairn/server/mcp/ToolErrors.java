package dev.cairn.server.mcp;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Turns a failed tool into an MCP error result ({@code isError: true}), not a protocol failure, so
 * the assistant sees why and can correct itself. An RPC's status travels as it is: NOT_FOUND stays
 * NOT_FOUND (never "exists but forbidden"), and its field violations are renamed to the tool's
 * argument names. The message is the RPC's client-facing one, which never carries SQL or stacks.
 */
final class ToolErrors {
  private ToolErrors() {}

  static CallToolResult input(ToolInputException e) {
    return result("INVALID_ARGUMENT", "ERROR_REASON_INVALID_ARGUMENT", e.getMessage(),
        List.of(Map.of("field", e.field(), "description", e.getMessage())));
  }

  static CallToolResult rpc(StatusRuntimeException e, UnaryOperator<String> argumentName) {
    Status status = e.getStatus();
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    String reason = "";
    List<Map<String, String>> violations = new ArrayList<>();
    if (details != null) {
      for (com.google.protobuf.Any any : details.getDetailsList()) {
        try {
          if (any.is(ErrorInfo.class)) {
            reason = any.unpack(ErrorInfo.class).getReason();
          } else if (any.is(BadRequest.class)) {
            for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
              String field = argumentName.apply(v.getField());
              violations.add(Map.of("field", field, "description", field + ": " + v.getDescription()));
            }
          }
        } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
          // a detail we cannot read is left out; the code and message still say what happened
        }
      }
    }
    String message = status.getDescription() == null ? status.getCode().name() : status.getDescription();
    if (!violations.isEmpty()) {
      message = String.join("; ", violations.stream().map(v -> v.get("description")).toList());
    }
    return result(status.getCode().name(), reason, message, violations);
  }

  static CallToolResult permissionDenied(String message) {
    return result("PERMISSION_DENIED", "ERROR_REASON_PERMISSION_DENIED", message, List.of());
  }

  static CallToolResult tooLarge(int chars, int limit) {
    return result("RESOURCE_EXHAUSTED", "ERROR_REASON_LIMIT_EXCEEDED", "the result has " + chars
        + " characters (expected: at most " + limit + "); ask for fewer (page_size) or narrow the filter", List.of());
  }

  static CallToolResult internal() {
    return result("INTERNAL", "ERROR_REASON_INTERNAL", "internal error (logged on the server)", List.of());
  }

  private static CallToolResult result(String code, String reason, String message, List<Map<String, String>> violations) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    if (!reason.isEmpty()) {
      error.put("reason", reason);
    }
    error.put("message", message);
    if (!violations.isEmpty()) {
      error.put("field_violations", violations);
    }
    return CallToolResult.builder().isError(true).addTextContent(Json.pretty(Map.of("error", error))).build();
  }
}
