package dev.cairn.server.search.embed;

/**
 * The model or the remote embedding API failed on valid input. {@link #retryable()} tells a
 * background job whether trying again later can help (a timeout, 429 or 5xx) or not (the API
 * rejected the request, or answered something that is not a usable embedding).
 */
public final class EmbeddingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  public EmbeddingException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public EmbeddingException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
