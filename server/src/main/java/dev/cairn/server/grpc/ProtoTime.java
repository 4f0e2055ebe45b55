package dev.cairn.server.grpc;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Conversions between protobuf well-known time types and java.time. */
public final class ProtoTime {
  private ProtoTime() {}

  public static Timestamp timestamp(OffsetDateTime t) {
    Instant i = t.toInstant();
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  public static OffsetDateTime offsetDateTime(Timestamp t) {
    return OffsetDateTime.ofInstant(Instant.ofEpochSecond(t.getSeconds(), t.getNanos()), ZoneOffset.UTC);
  }

  public static java.time.Duration duration(Duration d) {
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }
}
