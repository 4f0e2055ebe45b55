package dev.cairn.server.chat.generate;

import java.util.Objects;

/** How a finished generation ended and what it cost, in the generator's own tokens. */
public record Generation(FinishReason finishReason, int promptTokens, int completionTokens) {
  public Generation {
    Objects.requireNonNull(finishReason, "finishReason");
  }
}
