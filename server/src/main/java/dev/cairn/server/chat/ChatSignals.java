package dev.cairn.server.chat;

import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.db.NotificationListener;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What this replica hears on the chat channel: {@code p:<message>} after each checkpoint and at
 * an answer's end (followers re-read), {@code c:<message>} when CancelMessage asked an answer to
 * stop (the replica generating it stops it). Followers wait here between re-reads; every wait is
 * bounded, so a lost notification costs a re-read later, never a hung stream.
 */
final class ChatSignals implements NotificationListener.Subscriber {
  static final String PROGRESS = "p:";
  static final String CANCEL = "c:";

  private final Map<UUID, AnswerRun> running = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  /** Bumped on every notification; a follower waits until it moves past what it saw. */
  private long generation;

  void register(AnswerRun run) {
    running.put(run.messageId(), run);
  }

  void unregister(AnswerRun run) {
    running.remove(run.messageId(), run);
  }

  /** The answer this replica is generating, if it is. */
  AnswerRun local(UUID message) {
    return running.get(message);
  }

  /** Stops every answer this replica generates (shutdown): each keeps its text, CANCELLED. */
  void cancelAll() {
    running.values().forEach(AnswerRun::cancel);
  }

  int activeRuns() {
    return running.size();
  }

  /** The current generation, to wait past. */
  long seen() {
    lock.lock();
    try {
      return generation;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until something was heard after {@code seen}, at most {@code timeout}. */
  void awaitAfter(long seen, Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (generation == seen && nanos > 0) {
        nanos = changed.awaitNanos(nanos);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every follower of this replica (its own answers' progress needs no round trip). */
  void wake() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void subscribed() {
    wake();
  }

  @Override
  public void notified(String payload) {
    if (payload.startsWith(CANCEL)) {
      ResourceNames.uuid(payload.substring(CANCEL.length())).map(running::get).ifPresent(AnswerRun::cancel);
    }
    wake();
  }

  @Override
  public void lost() {
    wake();
  }

  static Duration poll() {
    return Duration.ofMillis(TimeUnit.SECONDS.toMillis(1));
  }
}
