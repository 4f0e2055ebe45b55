package dev.cairn.server.mcp;

import java.util.List;
import java.util.Map;

/** Maps an RPC's field-violation path ({@code filter.collections[0]}) to a tool argument name. */
final class ToolFields {
  private static final List<String> WRAPPERS = List.of("conversation.retrieval_filter.", "filter.", "item.");

  private ToolFields() {}

  static String argument(String rpcField, Map<String, String> renames) {
    String field = rpcField;
    for (String wrapper : WRAPPERS) {
      if (field.startsWith(wrapper)) {
        field = field.substring(wrapper.length());
        break;
      }
    }
    int index = indexOfAny(field);
    String head = index < 0 ? field : field.substring(0, index);
    return renames.getOrDefault(head, head);
  }

  private static int indexOfAny(String field) {
    int bracket = field.indexOf('[');
    int dot = field.indexOf('.');
    if (bracket < 0) {
      return dot;
    }
    return dot < 0 ? bracket : Math.min(bracket, dot);
  }

  /** {@code x} or {@code items/x} as the resource name {@code items/x}. */
  static String name(String collection, String value) {
    return value.startsWith(collection + "/") || value.contains("/") ? value : collection + "/" + value;
  }

  static Map<String, Object> string(String description) {
    return Map.of("type", "string", "description", description);
  }

  static Map<String, Object> integer(String description, int min, int max) {
    return Map.of("type", "integer", "minimum", min, "maximum", max, "description", description);
  }

  static Map<String, Object> strings(String description) {
    return Map.of("type", "array", "items", Map.of("type", "string"), "description", description);
  }

  static Map<String, Object> labels(String description) {
    return Map.of("type", "object", "additionalProperties", Map.of("type", "string"), "description", description);
  }

  static Map<String, Object> choice(String description, List<String> choices) {
    return Map.of("type", "string", "enum", choices, "description", description);
  }
}
