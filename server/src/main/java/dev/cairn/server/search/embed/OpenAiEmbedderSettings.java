package dev.cairn.server.search.embed;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;

/**
 * Where and how to reach an OpenAI-compatible embeddings API (OpenAI, vLLM, Ollama, llama.cpp
 * server, text-embeddings-inference).
 *
 * @param baseUrl the server root; requests go to {@code {baseUrl}/v1/embeddings}
 * @param apiKey sent as a bearer token; empty sends none (local servers)
 * @param model the model name the server expects
 * @param dimensions the vector length the model returns; any other answer is refused
 * @param maxTokens the model's input window, for the chunker
 * @param batchSize inputs per request
 * @param queryPrefix put before queries only (e.g. bge's instruction); usually empty
 * @param connectTimeout time to open a connection
 * @param requestTimeout time for one request's response
 * @param maxAttempts tries per request, the first included, on timeouts, 429 and 5xx
 * @param initialBackoff wait before the second try; doubles each time, with jitter
 * @param maxBackoff the longest wait between tries (also caps a server's Retry-After)
 */
public record OpenAiEmbedderSettings(
    URI baseUrl,
    String apiKey,
    String model,
    int dimensions,
    int maxTokens,
    int batchSize,
    String queryPrefix,
    Duration connectTimeout,
    Duration requestTimeout,
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff) {

  public OpenAiEmbedderSettings {
    requireNonNull(baseUrl, "baseUrl");
    requireNonNull(apiKey, "apiKey");
    requireNonNull(model, "model");
    requireNonNull(queryPrefix, "queryPrefix");
    if (!("http".equals(baseUrl.getScheme()) || "https".equals(baseUrl.getScheme()))
        || baseUrl.getHost() == null
        || baseUrl.getQuery() != null) {
      throw new IllegalArgumentException(
          "baseUrl: " + baseUrl + " (expected: http(s)://host[:port][/path], no query)");
    }
    if (model.isBlank()) {
      throw new IllegalArgumentException("model: blank (expected: the server's model name)");
    }
    range("dimensions", dimensions, 1, 16_384);
    range("maxTokens", maxTokens, 8, 1_000_000);
    range("batchSize", batchSize, 1, 2048); // OpenAI's limit of inputs per request
    range("maxAttempts", maxAttempts, 1, 10);
    positive("connectTimeout", connectTimeout);
    positive("requestTimeout", requestTimeout);
    positive("initialBackoff", initialBackoff);
    positive("maxBackoff", maxBackoff);
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff: " + maxBackoff + " (expected: at least initialBackoff " + initialBackoff + ")");
    }
  }

  /** 64 inputs a request, 10 s to connect, 60 s a request, 4 tries from 500 ms up to 10 s. */
  public static OpenAiEmbedderSettings defaults(
      URI baseUrl, String apiKey, String model, int dimensions, int maxTokens) {
    return new OpenAiEmbedderSettings(
        baseUrl, apiKey, model, dimensions, maxTokens, 64, "",
        Duration.ofSeconds(10), Duration.ofSeconds(60), 4,
        Duration.ofMillis(500), Duration.ofSeconds(10));
  }

  public OpenAiEmbedderSettings withBatchSize(int batchSize) {
    return new OpenAiEmbedderSettings(baseUrl, apiKey, model, dimensions, maxTokens, batchSize,
        queryPrefix, connectTimeout, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
  }

  public OpenAiEmbedderSettings withQueryPrefix(String queryPrefix) {
    return new OpenAiEmbedderSettings(baseUrl, apiKey, model, dimensions, maxTokens, batchSize,
        queryPrefix, connectTimeout, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
  }

  public OpenAiEmbedderSettings withTimeouts(Duration connectTimeout, Duration requestTimeout) {
    return new OpenAiEmbedderSettings(baseUrl, apiKey, model, dimensions, maxTokens, batchSize,
        queryPrefix, connectTimeout, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
  }

  public OpenAiEmbedderSettings withRetries(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    return new OpenAiEmbedderSettings(baseUrl, apiKey, model, dimensions, maxTokens, batchSize,
        queryPrefix, connectTimeout, requestTimeout, maxAttempts, initialBackoff, maxBackoff);
  }

  URI endpoint() {
    String base = baseUrl.toString().replaceAll("/+$", "");
    return URI.create(base + "/v1/embeddings");
  }

  /** Never prints the key: settings end up in logs. */
  @Override
  public String toString() {
    return "OpenAiEmbedderSettings[baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isEmpty() ? "none" : "***")
        + ", model=" + model + ", dimensions=" + dimensions + ", maxTokens=" + maxTokens
        + ", batchSize=" + batchSize + ", maxAttempts=" + maxAttempts + "]";
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
