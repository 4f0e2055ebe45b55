package dev.cairn.server.core;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * The server's one reading of its injected clock as a timestamp: UTC, cut to microseconds, the
 * precision PostgreSQL keeps, so a time written and read back compares equal to the one held.
 */
public final class Now {
  private Now() {}

  public static OffsetDateTime of(Clock clock) {
    return OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }
}
