package dev.cairn.server.jobs;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A job to enqueue: what kind of work, for whom, with what input.
 *
 * @param kind the handler that runs it ({@code [a-z][a-z0-9-]*}, as {@link JobHandler#kind})
 * @param ownerId the user the work is for (the handler acts as them), or null for server-wide work
 * @param payload the handler's input, a JSON object (no secrets or content: it is stored in plaintext)
 * @param dedupeKey while a job of this kind, owner and key is pending, enqueueing another does
 *     nothing; null for none
 * @param delay how long from now until it is due
 * @param maxAttempts attempts before it is dead-lettered; 0 for the queue's default
 */
public record Job(
    String kind, @Nullable UUID ownerId, String payload, @Nullable String dedupeKey, Duration delay, int maxAttempts) {
  static final Pattern KIND = Pattern.compile("^[a-z][a-z0-9-]{0,62}$");

  public Job {
    requireNonNull(kind, "kind");
    requireNonNull(payload, "payload");
    requireNonNull(delay, "delay");
    if (!KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException("kind: " + kind + " (expected: [a-z][a-z0-9-]{0,62})");
    }
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay: " + delay + " (expected: zero or more)");
    }
    if (maxAttempts < 0 || maxAttempts > 100) {
      throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: 0..100)");
    }
  }

  /** A job of {@code kind} for {@code owner}, due now, with an empty payload. */
  public static Job of(String kind, UUID owner) {
    return new Job(kind, requireNonNull(owner, "owner"), "{}", null, Duration.ZERO, 0);
  }

  /** A server-wide job (no owner); only the admin may enqueue one. */
  public static Job serverWide(String kind) {
    return new Job(kind, null, "{}", null, Duration.ZERO, 0);
  }

  public Job withPayload(String json) {
    return new Job(kind, ownerId, json, dedupeKey, delay, maxAttempts);
  }

  public Job withDedupeKey(String key) {
    return new Job(kind, ownerId, payload, requireNonNull(key, "key"), delay, maxAttempts);
  }

  public Job withDelay(Duration after) {
    return new Job(kind, ownerId, payload, dedupeKey, after, maxAttempts);
  }

  public Job withMaxAttempts(int attempts) {
    return new Job(kind, ownerId, payload, dedupeKey, delay, attempts);
  }
}
