package dev.cairn.server.core;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Function;

/** Waiting for work another thread does, with its failure rethrown as it was thrown. */
public final class Futures {
  private Futures() {}

  /**
   * The future's value; its failure rethrown as thrown (a checked one wrapped); an interrupt
   * ends the wait as CANCELLED and leaves the future running (others may share it).
   */
  public static <T> T await(Future<T> future, String waitingFor) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw rethrown(e.getCause(), cause -> new IllegalStateException(waitingFor + " failed", cause));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CairnException.cancelled("interrupted while " + waitingFor);
    }
  }

  /**
   * A failure from another thread as it was thrown there (a {@link CompletionException} looked
   * through): a runtime exception returned to throw, an error thrown, a checked one given to
   * {@code checked}.
   */
  public static RuntimeException rethrown(Throwable failure, Function<Throwable, RuntimeException> checked) {
    Throwable t = failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure;
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return checked.apply(t);
  }
}
