package dev.cairn.server.chat.generate;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;

/**
 * Where and how to reach an OpenAI-compatible chat completions API (OpenAI, vLLM, Ollama,
 * llama.cpp server, LM Studio, hosted gateways).
 *
 * @param baseUrl the server root; requests go to {@code {baseUrl}/v1/chat/completions} (a base
 *     ending in {@code /v1}, as OpenAI's and Ollama's documentation write it, is taken as is)
 * @param apiKey sent as a bearer token; empty sends none (local servers)
 * @param model the model name the server expects
 * @param maxTokens the longest answer asked for ({@code max_tokens}); a longer one ends LENGTH
 * @param streamUsage asks for token usage in the stream ({@code stream_options.include_usage});
 *     turn off for a server that refuses the option — counts are then estimated
 * @param connectTimeout time to open a connection
 * @param firstTokenTimeout time from sending the request to the first piece of answer text
 * @param idleTimeout longest silence between events once the answer has started
 * @param maxAttempts tries, the first included, while no text has been emitted: on connection
 *     failures, 429, 5xx and first-token timeouts
 * @param initialBackoff wait before the second try; doubles each time, with jitter
 * @param maxBackoff the longest wait between tries (also caps a server's Retry-After)
 */
public record OpenAiChatSettings(
    URI baseUrl,
    String apiKey,
    String model,
    int maxTokens,
    boolean streamUsage,
    Duration connectTimeout,
    Duration firstTokenTimeout,
    Duration idleTimeout,
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff) {

  public OpenAiChatSettings {
    requireNonNull(baseUrl, "baseUrl");
    requireNonNull(apiKey, "apiKey");
    requireNonNull(model, "model");
    if (!("http".equals(baseUrl.getScheme()) || "https".equals(baseUrl.getScheme()))
        || baseUrl.getHost() == null
        || baseUrl.getQuery() != null
        || baseUrl.getFragment() != null) {
      throw new IllegalArgumentException(
          "baseUrl: " + baseUrl + " (expected: http(s)://host[:port][/path], no query)");
    }
    if (model.isBlank()) {
      throw new IllegalArgumentException("model: blank (expected: the server's model name)");
    }
    if (apiKey.chars().anyMatch(c -> c <= ' ' || c == 127)) {
      throw new IllegalArgumentException("apiKey: contains whitespace or control characters");
    }
    range("maxTokens", maxTokens, 1, 1_000_000);
    range("maxAttempts", maxAttempts, 1, 10);
    positive("connectTimeout", connectTimeout);
    positive("firstTokenTimeout", firstTokenTimeout);
    positive("idleTimeout", idleTimeout);
    positive("initialBackoff", initialBackoff);
    positive("maxBackoff", maxBackoff);
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff: " + maxBackoff + " (expected: at least initialBackoff " + initialBackoff + ")");
    }
  }

  /**
   * The settings from configuration text, with defaults for the rest: 1024 answer tokens, usage
   * streamed, 10 s to connect, 60 s to the first token (a local model may first load), 60 s of
   * silence mid-answer, 3 tries from 500 ms up to 5 s.
   *
   * @throws IllegalArgumentException naming what is wrong, never showing the key
   */
  public static OpenAiChatSettings of(String baseUrl, String apiKey, String model) {
    requireNonNull(baseUrl, "baseUrl");
    URI uri;
    try {
      uri = new URI(baseUrl.strip());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(
          "baseUrl: " + baseUrl + " (expected: http(s)://host[:port][/path]): " + e.getReason(), e);
    }
    return new OpenAiChatSettings(uri, apiKey, model, 1024, true,
        Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(60), 3,
        Duration.ofMillis(500), Duration.ofSeconds(5));
  }

  public OpenAiChatSettings withMaxTokens(int maxTokens) {
    return new OpenAiChatSettings(baseUrl, apiKey, model, maxTokens, streamUsage, connectTimeout,
        firstTokenTimeout, idleTimeout, maxAttempts, initialBackoff, maxBackoff);
  }

  public OpenAiChatSettings withStreamUsage(boolean streamUsage) {
    return new OpenAiChatSettings(baseUrl, apiKey, model, maxTokens, streamUsage, connectTimeout,
        firstTokenTimeout, idleTimeout, maxAttempts, initialBackoff, maxBackoff);
  }

  public OpenAiChatSettings withTimeouts(Duration connectTimeout, Duration firstTokenTimeout, Duration idleTimeout) {
    return new OpenAiChatSettings(baseUrl, apiKey, model, maxTokens, streamUsage, connectTimeout,
        firstTokenTimeout, idleTimeout, maxAttempts, initialBackoff, maxBackoff);
  }

  public OpenAiChatSettings withRetries(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    return new OpenAiChatSettings(baseUrl, apiKey, model, maxTokens, streamUsage, connectTimeout,
        firstTokenTimeout, idleTimeout, maxAttempts, initialBackoff, maxBackoff);
  }

  URI endpoint() {
    String base = baseUrl.toString().replaceAll("/+$", "");
    return URI.create(base + (base.endsWith("/v1") ? "" : "/v1") + "/chat/completions");
  }

  /** Never prints the key: settings end up in logs. */
  @Override
  public String toString() {
    return "OpenAiChatSettings[baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isEmpty() ? "none" : "***")
        + ", model=" + model + ", maxTokens=" + maxTokens + ", streamUsage=" + streamUsage
        + ", connectTimeout=" + connectTimeout + ", firstTokenTimeout=" + firstTokenTimeout
        + ", idleTimeout=" + idleTimeout + ", maxAttempts=" + maxAttempts + "]";
  }

  private static void range(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
    }
  }

  private static void positive(String name, Duration value) {
    requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: more than zero)");
    }
  }
}
