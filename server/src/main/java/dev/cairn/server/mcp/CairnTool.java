package dev.cairn.server.mcp;

import java.util.Map;
import java.util.Set;

/**
 * One MCP tool: its name, description and input schema, and a call that turns the arguments into
 * one or more Cairn RPCs and their answers into a JSON-ready result.
 */
interface CairnTool {
  String name();

  String description();

  /** Argument name to its JSON schema. */
  Map<String, Object> properties();

  Set<String> required();

  /** Creates data: offered only to tokens with the WRITE scope. */
  default boolean writes() {
    return false;
  }

  /** The tool argument an RPC field violation is about (e.g. {@code parent} is {@code collection}). */
  default String argumentFor(String rpcField) {
    return ToolFields.argument(rpcField, Map.of());
  }

  /** Runs the tool; a failed RPC throws its StatusRuntimeException, bad arguments ToolInputException. */
  Object call(McpCaller caller, ToolArgs args);
}
