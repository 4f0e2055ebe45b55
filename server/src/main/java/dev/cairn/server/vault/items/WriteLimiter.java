package dev.cairn.server.vault.items;

import dev.cairn.server.core.CairnException;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Vault writes per minute per user: a token bucket per user id, refilled continuously from
 * the injected clock. The buckets live in this process, so the limit is per replica (N
 * replicas let a user write up to N times the rate); a shared limit would need the database
 * or a gateway. A write that fails (bad etag, bad input) gives its token back, so retrying an
 * ABORTED update is not punished as if it had written.
 */
final class WriteLimiter {
  private final int perMinute;
  private final Clock clock;
  private final ConcurrentHashMap<UUID, Bucket> buckets = new ConcurrentHashMap<>();

  WriteLimiter(int perMinute, Clock clock) {
    this.perMinute = perMinute;
    this.clock = clock;
  }

  /** Runs {@code write} if {@code user} has a write left this minute; RESOURCE_EXHAUSTED if not. */
  <T> T write(UUID user, Supplier<T> write) {
    Bucket bucket = buckets.computeIfAbsent(user, u -> new Bucket(perMinute, clock.millis()));
    if (!bucket.take(perMinute, clock.millis())) {
      throw CairnException.limitExceeded(
          "writes_per_minute", "more than " + perMinute + " vault writes in a minute; retry later");
    }
    try {
      return write.get();
    } catch (RuntimeException | Error e) {
      bucket.giveBack(perMinute);
      throw e;
    }
  }

  /** Takes a token for a write whose outcome is known later (uploads); see {@link #giveBack}. */
  void take(UUID user) {
    write(user, () -> null);
  }

  void giveBack(UUID user) {
    Bucket bucket = buckets.get(user);
    if (bucket != null) {
      bucket.giveBack(perMinute);
    }
  }

  private static final class Bucket {
    private double tokens;
    private long lastMillis;

    Bucket(int capacity, long now) {
      this.tokens = capacity;
      this.lastMillis = now;
    }

    synchronized boolean take(int capacity, long now) {
      if (now > lastMillis) {
        tokens = Math.min(capacity, tokens + (now - lastMillis) * capacity / 60_000.0);
        lastMillis = now;
      }
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    synchronized void giveBack(int capacity) {
      tokens = Math.min(capacity, tokens + 1);
    }
  }
}
