package dev.cairn.server.chat.generate;

/** Receives an answer's text as it is produced, in order, without gaps. */
@FunctionalInterface
public interface GenerationSink {
  /** Appends {@code text} (non-empty) to the answer. */
  void delta(String text);
}
