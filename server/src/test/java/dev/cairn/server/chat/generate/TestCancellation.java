package dev.cairn.server.chat.generate;

/** A Cancellation a test triggers itself; its actions run once, inline, as the real ones do. */
final class TestCancellation implements Cancellation {
  private final CancelActions actions = new CancelActions();

  @Override
  public boolean isCancelled() {
    return actions.isCancelled();
  }

  @Override
  public void onCancel(Runnable action) {
    actions.onCancel(action);
  }

  void cancel() {
    actions.cancel().forEach(Runnable::run);
  }

  static TestCancellation cancelled() {
    TestCancellation c = new TestCancellation();
    c.cancel();
    return c;
  }
}
