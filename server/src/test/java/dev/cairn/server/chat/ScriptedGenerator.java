package dev.cairn.server.chat;

import dev.cairn.server.chat.generate.Cancellation;
import dev.cairn.server.chat.generate.FinishReason;
import dev.cairn.server.chat.generate.Generation;
import dev.cairn.server.chat.generate.GenerationSink;
import dev.cairn.server.chat.generate.Generator;
import dev.cairn.server.chat.generate.Prompt;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for a model so tests control an answer's timing: it emits the script's pieces in
 * order, pausing between them, and can hold after a given piece until the test releases it (or
 * the answer is cancelled). It records the prompts it was given and the cancellations it saw.
 */
final class ScriptedGenerator implements Generator {

  /** Pieces to emit; after piece {@code holdAfter} (1-based; 0: never) wait for {@link #release}. */
  record Script(List<String> pieces, Duration pause, int holdAfter) {
    static Script of(String... pieces) {
      return new Script(List.of(pieces), Duration.ZERO, 0);
    }

    Script holdingAfter(int piece) {
      return new Script(pieces, pause, piece);
    }

    Script pausing(Duration between) {
      return new Script(pieces, between, holdAfter);
    }

    String text() {
      return String.join("", pieces);
    }
  }

  private volatile Script script = Script.of("An answer.");
  private volatile CountDownLatch gate = new CountDownLatch(1);
  private volatile CountDownLatch held = new CountDownLatch(1);
  final List<Prompt> prompts = new CopyOnWriteArrayList<>();
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger cancellationsSeen = new AtomicInteger();

  /** The script for the next answers; a new gate (closed) and a new "held" signal. */
  void script(Script next) {
    gate = new CountDownLatch(1);
    held = new CountDownLatch(1);
    script = next;
  }

  private volatile @org.jspecify.annotations.Nullable RuntimeException failure;

  /** The next answers fail with {@code e} before any piece (null: they follow the script again). */
  void failWith(@org.jspecify.annotations.Nullable RuntimeException e) {
    failure = e;
  }

  void release() {
    gate.countDown();
  }

  /** Waits until an answer is held at its hold point. */
  boolean awaitHeld(Duration timeout) throws InterruptedException {
    return held.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public Generation generate(Prompt prompt, GenerationSink sink, Cancellation cancellation) {
    calls.incrementAndGet();
    prompts.add(prompt);
    RuntimeException fail = failure;
    if (fail != null) {
      throw fail;
    }
    Script s = script;
    CountDownLatch myGate = gate;
    CountDownLatch myHeld = held;
    var stop = new CountDownLatch(1);
    cancellation.onCancel(stop::countDown);
    int emitted = 0;
    try {
      for (String piece : s.pieces()) {
        if (cancellation.isCancelled()) {
          return cancelled(emitted);
        }
        sink.delta(piece);
        emitted++;
        if (emitted == s.holdAfter()) {
          myHeld.countDown();
          while (!myGate.await(10, TimeUnit.MILLISECONDS)) {
            if (cancellation.isCancelled()) {
              return cancelled(emitted);
            }
          }
        }
        if (!s.pause().isZero() && stop.await(s.pause().toMillis(), TimeUnit.MILLISECONDS)) {
          return cancelled(emitted);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return cancelled(emitted);
    }
    return new Generation(FinishReason.STOP, 10, emitted);
  }

  private Generation cancelled(int emitted) {
    cancellationsSeen.incrementAndGet();
    return new Generation(FinishReason.CANCELLED, 10, emitted);
  }

  @Override
  public String name() {
    return "scripted";
  }
}
