package dev.cairn.tools;

import java.util.HashMap;
import java.util.Map;

/** The `--name value` pairs the bench and eval tools take (their scripts pass them). */
public final class ToolArgs {
  private final Map<String, String> values = new HashMap<>();

  private ToolArgs(String[] args) {
    for (int i = 0; i + 1 < args.length; i += 2) {
      values.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
  }

  public static ToolArgs parse(String[] args) {
    return new ToolArgs(args);
  }

  /** The value, or null when not given. */
  public @org.jspecify.annotations.Nullable String get(String name) {
    return values.get(name);
  }

  public String get(String name, String orElse) {
    return values.getOrDefault(name, orElse);
  }

  public int integer(String name, int orElse) {
    return Integer.parseInt(get(name, Integer.toString(orElse)));
  }

  /** The value, or exits 2 naming the missing option. */
  public String require(String name) {
    String v = values.get(name);
    if (v == null) {
      System.err.println("missing --" + name);
      System.exit(2);
    }
    return v;
  }
}
