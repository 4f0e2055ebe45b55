package dev.cairn.server.grpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import com.google.rpc.BadRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What every request must be before any rule or handler looks at it, whatever its type: each
 * {@code Timestamp} within 0001-01-01..9999-12-31 and each {@code Duration} within ±10,000
 * years (as {@link Timestamps#isValid} and {@link Durations#isValid} say), no text holding
 * U+0000 (PostgreSQL cannot store it), and in {@code Struct}s only finite numbers and set
 * values (JSON has nothing else). Protovalidate cannot say this once for all fields, and its
 * CEL rules fail on such values instead of reporting them, so this check runs first.
 */
final class WellFormed {
  /** Deeper than the protobuf parser's own limit (100), so only hand-built messages reach it. */
  private static final int MAX_DEPTH = 128;
  /** Enough to fix a request by; a message full of bad values need not be listed in full. */
  private static final int MAX_VIOLATIONS = 20;

  private final List<BadRequest.FieldViolation> violations = new ArrayList<>();

  private WellFormed() {}

  /** The violations of {@code message}, with AIP-193 field paths ({@code item.labels["k"]}). */
  static List<BadRequest.FieldViolation> violations(Message message) {
    var check = new WellFormed();
    check.message(message, "", 0);
    return check.violations;
  }

  private void message(Message m, String path, int depth) {
    if (depth > MAX_DEPTH) {
      add(path, "message.depth", "nested deeper than " + MAX_DEPTH + " messages");
      return;
    }
    switch (m) {
      case Timestamp t -> timestamp(t, path);
      case Duration d -> duration(d, path);
      case Struct s -> struct(s, path, depth);
      case Value v -> value(v, path, depth);
      case ListValue l -> list(l, path, depth);
      default -> fields(m, path, depth);
    }
  }

  private void fields(Message m, String path, int depth) {
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      String p = path.isEmpty() ? f.getName() : path + "." + f.getName();
      if (f.isMapField()) {
        mapEntries(f, (List<?>) e.getValue(), p, depth);
      } else if (f.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size(); i++) {
          element(items.get(i), p + "[" + i + "]", depth);
        }
      } else {
        element(e.getValue(), p, depth);
      }
    }
  }

  private void mapEntries(FieldDescriptor f, List<?> entries, String path, int depth) {
    FieldDescriptor keyField = f.getMessageType().findFieldByNumber(1);
    FieldDescriptor valueField = f.getMessageType().findFieldByNumber(2);
    for (Object o : entries) {
      Message entry = (Message) o;
      Object key = entry.getField(keyField);
      if (key instanceof String s && hasNul(s)) {
        add(path, "string.no_nul", "a key contains U+0000 (NUL), which text cannot hold");
        continue;
      }
      element(entry.getField(valueField), path + subscript(key), depth);
    }
  }

  private void element(Object value, String path, int depth) {
    if (value instanceof String s) {
      text(s, path);
    } else if (value instanceof Message m) {
      message(m, path, depth + 1);
    }
  }

  private void text(String s, String path) {
    if (hasNul(s)) {
      add(path, "string.no_nul", "contains U+0000 (NUL), which text cannot hold");
    }
  }

  private void timestamp(Timestamp t, String path) {
    if (!Timestamps.isValid(t)) {
      add(path, "timestamp.valid", "seconds " + t.getSeconds() + ", nanos " + t.getNanos()
          + " (expected: 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z, nanos 0..999999999)");
    }
  }

  private void duration(Duration d, String path) {
    if (!Durations.isValid(d)) {
      add(path, "duration.valid", "seconds " + d.getSeconds() + ", nanos " + d.getNanos()
          + " (expected: seconds within ±315576000000, nanos within ±999999999 and of the same sign)");
    }
  }

  // google.protobuf.Struct is JSON: its paths read as JSON, item.data["a"][0], not as its fields

  private void struct(Struct s, String path, int depth) {
    for (Map.Entry<String, Value> e : s.getFieldsMap().entrySet()) {
      if (hasNul(e.getKey())) {
        add(path, "string.no_nul", "a key contains U+0000 (NUL), which text cannot hold");
        continue;
      }
      message(e.getValue(), path + subscript(e.getKey()), depth + 1);
    }
  }

  private void value(Value v, String path, int depth) {
    switch (v.getKindCase()) {
      case NUMBER_VALUE -> {
        if (!Double.isFinite(v.getNumberValue())) {
          add(path, "value.finite", v.getNumberValue() + " (expected: a finite number; JSON has no NaN or Infinity)");
        }
      }
      case STRING_VALUE -> text(v.getStringValue(), path);
      case STRUCT_VALUE -> message(v.getStructValue(), path, depth + 1);
      case LIST_VALUE -> message(v.getListValue(), path, depth + 1);
      case KIND_NOT_SET -> add(path, "value.kind_set", "no value (expected: null, a number, string, bool, object or list)");
      default -> {}
    }
  }

  private void list(ListValue l, String path, int depth) {
    for (int i = 0; i < l.getValuesCount(); i++) {
      message(l.getValues(i), path + "[" + i + "]", depth + 1);
    }
  }

  private static String subscript(Object key) {
    return key instanceof String s ? "[\"" + s + "\"]" : "[" + key + "]";
  }

  private static boolean hasNul(String s) {
    return s.indexOf('\u0000') >= 0;
  }

  private void add(String path, String reason, String description) {
    if (violations.size() >= MAX_VIOLATIONS) {
      return;
    }
    violations.add(BadRequest.FieldViolation.newBuilder()
        .setField(path)
        .setDescription(description)
        .setReason(reason)
        .build());
  }
}
