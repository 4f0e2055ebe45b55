package dev.cairn.server.chat.generate;

/**
 * Writes an answer to a question from retrieved sources, streaming it piece by piece.
 *
 * <p>Implementations block the calling thread (always a virtual thread, never a Netty event loop,
 * never inside a database transaction) until the answer ends, and call {@link
 * GenerationSink#delta} for each piece of text in order. They must return promptly — and close
 * any upstream connection — once {@link Cancellation#isCancelled()} turns true; a cancelled
 * generation returns {@link FinishReason#CANCELLED} with whatever it already emitted counted in
 * its usage. A generator that cannot produce an answer throws {@link GenerationException}; the
 * text already emitted is kept by the caller.
 */
public interface Generator {

  Generation generate(Prompt prompt, GenerationSink sink, Cancellation cancellation)
      throws GenerationException;

  /** A short stable name for metrics and logs ({@code extractive}, {@code openai}). */
  String name();
}
