package dev.cairn.server.jobs;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Delay before retry {@code n}: {@code base · 2^(n-1)}, capped at {@code max}, with "equal
 * jitter" (half fixed, half random), so retries grow and jobs that failed together do not
 * come back together. The random source is injected, so tests are repeatable.
 */
final class Backoff {
  private final Duration base;
  private final Duration max;
  private final RandomGenerator random;

  Backoff(Duration base, Duration max, RandomGenerator random) {
    this.base = requireNonNull(base, "base");
    this.max = requireNonNull(max, "max");
    this.random = requireNonNull(random, "random");
  }

  /** The delay after the {@code attempt}-th attempt failed (attempt ≥ 1). */
  Duration after(int attempt) {
    long baseMillis = base.toMillis();
    int doublings = Math.min(Math.max(attempt - 1, 0), 40);
    long exponential = baseMillis > (Long.MAX_VALUE >> doublings) ? Long.MAX_VALUE : baseMillis << doublings;
    long capped = Math.min(exponential, max.toMillis());
    long half = capped / 2;
    return Duration.ofMillis(half + (capped - half == 0 ? 0 : random.nextLong(capped - half + 1)));
  }
}
