package dev.cairn.server.chat.generate;

/** Why a generation ended; mirrors {@code cairn.chat.v1.FinishReason} minus ERROR (an exception). */
public enum FinishReason {
  STOP,
  LENGTH,
  CANCELLED,
  /** No source was relevant; the answer says so instead of guessing. */
  NO_SOURCES
}
