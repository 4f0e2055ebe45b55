package dev.cairn.server.chat.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * A cancellation flag and the actions registered to run once it is set: the {@link Cancellation}
 * a streaming call and an answer being generated both offer (chat's StreamSender and AnswerRun).
 * The owner decides where the actions run (inline, or on a thread of their own).
 */
public final class CancelActions implements Cancellation {
  private final List<Runnable> actions = new ArrayList<>();
  private volatile boolean cancelled;

  /** Sets the flag; the actions to run now — empty when it was already set. */
  public synchronized List<Runnable> cancel() {
    if (cancelled) {
      return List.of();
    }
    cancelled = true;
    List<Runnable> run = List.copyOf(actions);
    actions.clear();
    return run;
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  /** Registers {@code action}; runs it at once (on the calling thread) when already cancelled. */
  @Override
  public void onCancel(Runnable action) {
    synchronized (this) {
      if (!cancelled) {
        actions.add(action);
        return;
      }
    }
    action.run();
  }
}
