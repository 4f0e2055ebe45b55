package dev.cairn.server.vault.items;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.nio.charset.StandardCharsets;

/** A stored record's JSON back to the {@code google.protobuf.Struct} the API speaks. */
final class RecordJson {
  private RecordJson() {}

  static Struct toStruct(byte[] json) {
    var root = JsonParser.parseString(new String(json, StandardCharsets.UTF_8));
    if (!root.isJsonObject()) {
      throw new IllegalStateException("a stored record is not a JSON object");
    }
    return value(root).getStructValue();
  }

  private static Value value(JsonElement e) {
    if (e.isJsonNull()) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (e.isJsonObject()) {
      var s = Struct.newBuilder();
      e.getAsJsonObject().entrySet().forEach(en -> s.putFields(en.getKey(), value(en.getValue())));
      return Value.newBuilder().setStructValue(s).build();
    }
    if (e.isJsonArray()) {
      var l = ListValue.newBuilder();
      e.getAsJsonArray().forEach(x -> l.addValues(value(x)));
      return Value.newBuilder().setListValue(l).build();
    }
    var p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return Value.newBuilder().setBoolValue(p.getAsBoolean()).build();
    }
    if (p.isNumber()) {
      return Value.newBuilder().setNumberValue(p.getAsDouble()).build();
    }
    return Value.newBuilder().setStringValue(p.getAsString()).build();
  }
}
