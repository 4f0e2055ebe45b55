package dev.cairn.server.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import java.io.UncheckedIOException;
import java.util.Map;

/** JSON for tool results: plain maps through Jackson, protobuf Structs through JsonFormat. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
  private static final JsonFormat.Printer PROTO = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PROTO_PARSER = JsonFormat.parser();

  private Json() {}

  static String string(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String pretty(Object value) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A protobuf message (a record's data) as a plain JSON value, for embedding in a result map. */
  static Object plain(MessageOrBuilder message) {
    try {
      return MAPPER.readValue(PROTO.print(message), Object.class);
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      throw new IllegalStateException("a stored record could not be printed as JSON", e);
    }
  }

  /** A JSON object from a tool's arguments as a protobuf Struct (a record's data). */
  static Struct struct(Map<?, ?> object) throws InvalidProtocolBufferException {
    Struct.Builder builder = Struct.newBuilder();
    PROTO_PARSER.merge(string(object), builder);
    return builder.build();
  }
}
