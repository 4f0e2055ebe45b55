package dev.cairn.server.vault;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import java.nio.charset.StandardCharsets;

/** A stored record's JSON back to the {@code google.protobuf.Struct} the API speaks. */
public final class RecordJson {
  private RecordJson() {}

  public static Struct toStruct(byte[] json) {
    var data = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(new String(json, StandardCharsets.UTF_8), data);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored record is not a JSON object", e);
    }
    return data.build();
  }
}
