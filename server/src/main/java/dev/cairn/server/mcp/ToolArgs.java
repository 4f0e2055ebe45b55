package dev.cairn.server.mcp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A tool call's arguments, read by name and type. Only the JSON shape is checked here (a string
 * where a string belongs, a known enum word); the values' rules stay with the RPC's validation,
 * whose field violations come back named after these arguments.
 */
final class ToolArgs {
  private final Map<String, Object> values;

  ToolArgs(@Nullable Map<String, Object> values, Set<String> known) {
    this.values = values == null ? Map.of() : values;
    for (String name : this.values.keySet()) {
      if (!known.contains(name)) {
        throw new ToolInputException(name, "unknown argument (expected one of: " + String.join(", ", known) + ")");
      }
    }
  }

  String requiredString(String name) {
    String value = string(name, null);
    if (value == null || value.isBlank()) {
      throw new ToolInputException(name, "required (a non-empty string)");
    }
    return value;
  }

  @Nullable String string(String name, @Nullable String fallback) {
    Object value = values.get(name);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String s)) {
      throw new ToolInputException(name, "expected a string, got " + kind(value));
    }
    return s;
  }

  String string(String name) {
    String value = string(name, "");
    return value == null ? "" : value;
  }

  int integer(String name, int fallback, int min, int max) {
    Object value = values.get(name);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new ToolInputException(name, "expected an integer " + min + ".." + max + ", got " + kind(value));
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw new ToolInputException(name, v + " (expected: " + min + ".." + max + ")");
    }
    return (int) v;
  }

  boolean bool(String name, boolean fallback) {
    Object value = values.get(name);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      throw new ToolInputException(name, "expected true or false, got " + kind(value));
    }
    return b;
  }

  List<String> strings(String name) {
    Object value = values.get(name);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new ToolInputException(name, "expected an array of strings, got " + kind(value));
    }
    List<String> out = new ArrayList<>();
    for (Object item : list) {
      if (!(item instanceof String s)) {
        throw new ToolInputException(name, "expected an array of strings, found " + kind(item));
      }
      out.add(s);
    }
    return out;
  }

  Map<String, String> stringMap(String name) {
    Object value = values.get(name);
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map<?, ?> map)) {
      throw new ToolInputException(name, "expected an object of string values, got " + kind(value));
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new ToolInputException(name + "." + e.getKey(), "expected a string, got " + kind(e.getValue()));
      }
      out.put(String.valueOf(e.getKey()), s);
    }
    return out;
  }

  Map<?, ?> requiredObject(String name) {
    Object value = values.get(name);
    if (!(value instanceof Map<?, ?> map)) {
      throw new ToolInputException(name, value == null ? "required (a JSON object)" : "expected a JSON object, got " + kind(value));
    }
    return map;
  }

  /** One of {@code choices} (case-insensitive), or {@code fallback} when absent. */
  String choice(String name, String fallback, Set<String> choices) {
    String value = string(name, fallback);
    String word = value == null ? fallback : value.toLowerCase(Locale.ROOT);
    if (!choices.contains(word)) {
      throw new ToolInputException(name, value + " (expected one of: " + String.join(", ", choices) + ")");
    }
    return word;
  }

  private static String kind(@Nullable Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof List) {
      return "an array";
    }
    return value instanceof Map ? "an object" : "a " + value.getClass().getSimpleName();
  }
}
