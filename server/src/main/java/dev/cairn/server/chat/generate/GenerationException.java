package dev.cairn.server.chat.generate;

/**
 * A generation that failed. {@code retryable} is true when nothing was emitted yet and the
 * failure was transient (connection refused, 5xx, timeout before the first token).
 */
public class GenerationException extends Exception {

  private final boolean retryable;

  public GenerationException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
