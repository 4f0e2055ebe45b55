package dev.cairn.client.cli;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import dev.cairn.client.CairnError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Retries a call the server turned away for now: RESOURCE_EXHAUSTED from a rate limit (the
 * {@code ErrorInfo} names a {@code *_per_minute}-style limit, names none, or the status carries a
 * {@code google.rpc.RetryInfo}) and UNAVAILABLE. The delay is the server's {@code retry_delay}
 * when it sends one, else exponential ({@code initial · 2^(n-1)}, capped at {@code max}) with
 * "equal jitter" (half fixed, half random) so that many clients do not retry in step. A quota
 * (e.g. {@code max_items_per_user}) is not a rate: waiting does not help, so it fails at once.
 */
final class Backoff {
  /** How the CLI waits; tests record instead of sleeping. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  /** A limit named after a time unit is a rate ({@code writes_per_minute}); {@code max_items_per_user} is a quota. */
  private static final java.util.regex.Pattern RATE = java.util.regex.Pattern.compile("_per_(second|minute|hour|day)$");

  /** The longest server-asked delay honoured as is. */
  static final Duration LONGEST_ASKED = Duration.ofMinutes(5);

  /** 0.5 s doubling to 30 s, 10 attempts: about 3 minutes of waiting at most. */
  static Backoff defaults() {
    return new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), 10, d -> Thread.sleep(d), Math::random);
  }

  private final Duration initial;
  private final Duration max;
  private final int maxAttempts;
  private final Sleeper sleeper;
  private final DoubleSupplier random;

  Backoff(Duration initial, Duration max, int maxAttempts, Sleeper sleeper, DoubleSupplier random) {
    this.initial = requireNonNull(initial, "initial");
    this.max = requireNonNull(max, "max");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: 1 or more)");
    }
    this.maxAttempts = maxAttempts;
    this.sleeper = requireNonNull(sleeper, "sleeper");
    this.random = requireNonNull(random, "random");
  }

  /** Runs {@code call} until it succeeds, fails for good, or runs out of attempts; {@code onRetry} hears each wait. */
  <T> T call(Supplier<T> call, Consumer<Retry> onRetry) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        if (attempt >= maxAttempts || !retryable(e)) {
          throw e;
        }
        Duration wait = delay(attempt, e);
        onRetry.accept(new Retry(attempt, wait, e));
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** One wait before another attempt. */
  record Retry(int attempt, Duration delay, StatusRuntimeException cause) {
    String describe() {
      return CairnError.from(cause).code() + " (" + CairnError.from(cause).description() + "); retrying in "
          + delay.toMillis() + " ms";
    }
  }

  static boolean retryable(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    if (code == Status.Code.UNAVAILABLE) {
      return true;
    }
    if (code != Status.Code.RESOURCE_EXHAUSTED) {
      return false;
    }
    if (retryInfo(e).isPresent()) {
      return true;
    }
    String limit = CairnError.from(e).metadata().get("limit");
    return limit == null || RATE.matcher(limit).find();
  }

  /** The server's delay when it sent one, else the exponential one for this attempt. */
  Duration delay(int attempt, StatusRuntimeException e) {
    Optional<Duration> asked = retryInfo(e);
    if (asked.isPresent()) {
      // the server knows when a token frees up: wait that long even past our own cap, within reason
      return asked.get().compareTo(LONGEST_ASKED) > 0 ? LONGEST_ASKED : asked.get();
    }
    long cap = max.toMillis();
    long exponential = attempt >= 31 ? cap : Math.min(cap, initial.toMillis() << (attempt - 1));
    long half = exponential / 2;
    return Duration.ofMillis(half + (long) (random.getAsDouble() * (exponential - half)));
  }

  private static Optional<Duration> retryInfo(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return Optional.empty();
    }
    for (Any any : status.getDetailsList()) {
      if (any.is(RetryInfo.class)) {
        try {
          var d = any.unpack(RetryInfo.class).getRetryDelay();
          Duration delay = Duration.ofSeconds(d.getSeconds(), d.getNanos());
          return delay.isNegative() ? Optional.empty() : Optional.of(delay);
        } catch (InvalidProtocolBufferException ignored) {
          return Optional.empty(); // malformed: fall back to our own schedule
        }
      }
    }
    return Optional.empty();
  }
}
