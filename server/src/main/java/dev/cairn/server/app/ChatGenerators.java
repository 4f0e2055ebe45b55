package dev.cairn.server.app;

import dev.cairn.server.chat.generate.ExtractiveGenerator;
import dev.cairn.server.chat.generate.Generator;
import dev.cairn.server.chat.generate.OpenAiChatGenerator;
import dev.cairn.server.chat.generate.OpenAiChatSettings;
import dev.cairn.server.config.CairnConfig.ChatConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The one place that chooses chat's answer generator from config: the built-in grounded
 * extractive answerer (the default, no model) or an OpenAI-compatible streaming client.
 */
final class ChatGenerators {
  private ChatGenerators() {}

  /** The configured generator; one that holds connections is also {@link AutoCloseable}. */
  static Generator configured(ChatConfig config) {
    if (!config.generator().equals("openai")) {
      return new ExtractiveGenerator();
    }
    // CairnConfig has validated every value these settings check again
    var settings = OpenAiChatSettings.of(Objects.requireNonNull(config.openAiUrl()).toString(), config.openAiKey(),
            config.openAiModel())
        .withMaxTokens(config.maxTokens())
        .withStreamUsage(config.streamUsage())
        .withTimeouts(config.connectTimeout(), config.firstTokenTimeout(), config.idleTimeout())
        .withRetries(config.maxAttempts(), Duration.ofMillis(500), Duration.ofSeconds(5));
    return OpenAiChatGenerator.create(settings);
  }
}
