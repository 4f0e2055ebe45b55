package dev.cairn.server.chat;

import dev.cairn.server.chat.generate.CancelActions;
import dev.cairn.server.chat.generate.Cancellation;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * One answer this replica is generating: the text so far (the generator appends, the
 * checkpointer and the sending call read), its citations once retrieved, how it ended, and its
 * cancellation. The generator never waits for a reader: appending only takes a short lock.
 */
final class AnswerRun implements Cancellation {
  /** How an answer ended: a finish reason, usage, and for a failure its error. */
  record Outcome(Chat.State state, Chat.Finish finish, Chat.Usage usage, dev.cairn.server.core.@Nullable CairnException error) {}

  private final UUID owner;
  private final UUID conversation;
  private final UUID message;
  private final long startedNanos;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final StringBuilder text = new StringBuilder();
  private int codePoints;
  private long firstTokenNanos = -1;
  private @Nullable List<Chat.Citation> citations;
  private @Nullable Outcome outcome;
  private final CancelActions cancellation = new CancelActions();

  /** @param startedNanos when the send reached the server ({@link System#nanoTime}) */
  AnswerRun(UUID owner, UUID conversation, UUID message, long startedNanos) {
    this.startedNanos = startedNanos;
    this.owner = owner;
    this.conversation = conversation;
    this.message = message;
  }

  UUID ownerId() {
    return owner;
  }

  UUID conversationId() {
    return conversation;
  }

  UUID messageId() {
    return message;
  }

  void append(String piece) {
    if (piece.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      if (firstTokenNanos < 0) {
        firstTokenNanos = System.nanoTime();
      }
      text.append(piece);
      codePoints += piece.codePointCount(0, piece.length());
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  void retrieved(List<Chat.Citation> found) {
    lock.lock();
    try {
      citations = List.copyOf(found);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  void ended(Outcome how) {
    lock.lock();
    try {
      outcome = how;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** What a reader sees at one instant. */
  record Snapshot(String text, int codePoints, @Nullable List<Chat.Citation> citations, @Nullable Outcome outcome) {}

  Snapshot snapshot() {
    lock.lock();
    try {
      return new Snapshot(text.toString(), codePoints, citations, outcome);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until there is text past {@code codePointsSeen}, citations when {@code citationsSeen}
   * is false, or an end — at most {@code timeout}.
   */
  void awaitChange(int codePointsSeen, boolean citationsSeen, Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (codePoints <= codePointsSeen && (citationsSeen || citations == null) && outcome == null && nanos > 0) {
        nanos = changed.awaitNanos(nanos);
      }
    } finally {
      lock.unlock();
    }
  }

  @Nullable Duration firstToken() {
    lock.lock();
    try {
      return firstTokenNanos < 0 ? null : Duration.ofNanos(firstTokenNanos - startedNanos);
    } finally {
      lock.unlock();
    }
  }

  Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /** Stops the generator (it sees {@link #isCancelled} and its {@link #onCancel} actions run). */
  void cancel() {
    List<Runnable> actions = cancellation.cancel();
    lock.lock();
    try {
      changed.signalAll(); // after the flag is set: a waiter sees it
    } finally {
      lock.unlock();
    }
    actions.forEach(AnswerRun::runQuietly);
  }

  @Override
  public boolean isCancelled() {
    return cancellation.isCancelled();
  }

  @Override
  public void onCancel(Runnable action) {
    cancellation.onCancel(() -> runQuietly(action));
  }

  private static void runQuietly(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(AnswerRun.class).warn("a cancellation action failed", e);
    }
  }
}
