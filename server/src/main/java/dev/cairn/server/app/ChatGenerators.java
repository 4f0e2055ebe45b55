package dev.cairn.server.app;

import dev.cairn.server.chat.generate.ExtractiveGenerator;
import dev.cairn.server.chat.generate.Generator;

/**
 * The one place that chooses chat's answer generator: the built-in grounded extractive answerer
 * (no model download). The OpenAI-compatible client, once it lands, is chosen here from config.
 */
final class ChatGenerators {
  private ChatGenerators() {}

  static Generator configured() {
    return new ExtractiveGenerator();
  }
}
