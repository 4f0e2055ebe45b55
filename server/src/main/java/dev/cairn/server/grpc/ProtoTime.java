package dev.cairn.server.grpc;

import dev.cairn.server.core.CairnException;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.cairn.type.v1.ErrorReason;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Conversions between protobuf well-known time types and java.time. Request values were
 * checked field by field at the edge ({@link WellFormed}); these conversions check again, so
 * an out-of-range value is a client error wherever it comes from, never a DateTimeException.
 */
public final class ProtoTime {
  private ProtoTime() {}

  public static Timestamp timestamp(OffsetDateTime t) {
    Instant i = t.toInstant();
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  /** INVALID_ARGUMENT unless {@code t} lies in 0001-01-01..9999-12-31 with nanos 0..999999999. */
  public static OffsetDateTime offsetDateTime(Timestamp t) {
    if (!Timestamps.isValid(t)) {
      throw invalid("timestamp out of range: seconds " + t.getSeconds() + ", nanos " + t.getNanos()
          + " (expected: 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z)");
    }
    return OffsetDateTime.ofInstant(Instant.ofEpochSecond(t.getSeconds(), t.getNanos()), ZoneOffset.UTC);
  }

  /** INVALID_ARGUMENT unless {@code d} is a valid Duration (±10,000 years, nanos of the same sign). */
  public static java.time.Duration duration(Duration d) {
    if (!Durations.isValid(d)) {
      throw invalid("duration out of range: seconds " + d.getSeconds() + ", nanos " + d.getNanos()
          + " (expected: seconds within ±315576000000, nanos within ±999999999 and of the same sign)");
    }
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  private static CairnException invalid(String message) {
    return new CairnException(CairnException.Kind.INVALID_ARGUMENT, ErrorReason.ERROR_REASON_INVALID_ARGUMENT,
        message, Map.of(), List.of());
  }
}
