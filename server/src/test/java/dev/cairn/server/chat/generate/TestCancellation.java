package dev.cairn.server.chat.generate;

import java.util.ArrayList;
import java.util.List;

/** A Cancellation a test triggers itself; runs registered actions once, like the real one must. */
final class TestCancellation implements Cancellation {
  private final List<Runnable> actions = new ArrayList<>();
  private boolean cancelled;

  @Override
  public synchronized boolean isCancelled() {
    return cancelled;
  }

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

  void cancel() {
    List<Runnable> toRun;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      toRun = List.copyOf(actions);
      actions.clear();
    }
    toRun.forEach(Runnable::run);
  }

  static TestCancellation cancelled() {
    TestCancellation c = new TestCancellation();
    c.cancel();
    return c;
  }
}
