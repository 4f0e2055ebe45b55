package dev.cairn.server.vault.sharing;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;

/**
 * A record's stored JSON as a {@code google.protobuf.Struct} (Gson, since the server does not
 * depend on protobuf-java-util). Numbers become doubles, as Struct has no other number type.
 */
final class JsonStruct {
  private JsonStruct() {}

  static Struct parse(String json) {
    return struct(JsonParser.parseString(json));
  }

  private static Struct struct(JsonElement element) {
    var out = Struct.newBuilder();
    element.getAsJsonObject().entrySet().forEach(e -> out.putFields(e.getKey(), value(e.getValue())));
    return out.build();
  }

  private static Value value(JsonElement e) {
    if (e.isJsonNull()) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (e.isJsonObject()) {
      return Value.newBuilder().setStructValue(struct(e)).build();
    }
    if (e.isJsonArray()) {
      var list = ListValue.newBuilder();
      e.getAsJsonArray().forEach(v -> list.addValues(value(v)));
      return Value.newBuilder().setListValue(list).build();
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
