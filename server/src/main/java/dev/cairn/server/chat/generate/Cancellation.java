package dev.cairn.server.chat.generate;

/**
 * Tells a generator its answer is no longer wanted (CancelMessage, an ended call without detach,
 * a deadline, shutdown).
 */
public interface Cancellation {

  boolean isCancelled();

  /**
   * Runs {@code action} once when cancellation happens (at once if it already has), so a
   * generator blocked on I/O can abort it — e.g. cancel an HTTP exchange.
   */
  void onCancel(Runnable action);
}
