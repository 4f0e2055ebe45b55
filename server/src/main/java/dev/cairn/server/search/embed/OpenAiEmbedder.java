package dev.cairn.server.search.embed;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Embedder} calling an OpenAI-compatible {@code POST /v1/embeddings}. Timeouts, 429 and
 * 5xx are retried with exponential backoff and jitter (honouring Retry-After up to the cap);
 * any other 4xx is not, since the same request would fail again. Token counts come from a
 * local counter the caller supplies, since the API has no counting call.
 */
public final class OpenAiEmbedder implements Embedder {
  private static final Logger log = LoggerFactory.getLogger(OpenAiEmbedder.class);

  /** Waits between tries; a test passes one that only records. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final OpenAiEmbedderSettings settings;
  private final HttpClient http;
  private final TokenCounter tokens;
  private final Sleeper sleeper;
  private final RandomGenerator random;
  private final AtomicBoolean closed = new AtomicBoolean();

  OpenAiEmbedder(
      OpenAiEmbedderSettings settings, TokenCounter tokens, Sleeper sleeper, RandomGenerator random) {
    this.settings = requireNonNull(settings, "settings");
    this.tokens = requireNonNull(tokens, "tokens");
    this.sleeper = requireNonNull(sleeper, "sleeper");
    this.random = requireNonNull(random, "random");
    this.http = HttpClient.newBuilder()
        .connectTimeout(settings.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /**
   * @param tokens counts tokens for the chunker, ideally with the remote model's tokenizer; a
   *     local model's {@code countTokens} is a fair stand-in for BERT-family models
   */
  public static OpenAiEmbedder create(OpenAiEmbedderSettings settings, TokenCounter tokens) {
    return new OpenAiEmbedder(
        settings, tokens, duration -> Thread.sleep(duration), new SplittableRandom());
  }

  @Override
  public float[][] embedPassages(List<String> passages) {
    List<String> cleaned = Inputs.passages(passages, maxChars());
    checkOpen();
    float[][] out = new float[cleaned.size()][];
    for (int from = 0; from < cleaned.size(); from += settings.batchSize()) {
      int to = Math.min(cleaned.size(), from + settings.batchSize());
      float[][] batch = post(cleaned.subList(from, to));
      System.arraycopy(batch, 0, out, from, batch.length);
    }
    return out;
  }

  @Override
  public float[] embedQuery(String query) {
    String cleaned = Inputs.text("query", query, maxChars());
    checkOpen();
    return post(List.of(settings.queryPrefix() + cleaned))[0];
  }

  @Override
  public int dimensions() {
    return settings.dimensions();
  }

  @Override
  public String modelId() {
    return "openai:" + settings.model();
  }

  @Override
  public int maxTokens() {
    return settings.maxTokens();
  }

  @Override
  public int countTokens(String text) {
    return tokens.count(requireNonNull(text, "text"));
  }

  private int maxChars() {
    return (int) Math.min(Integer.MAX_VALUE - 8, (long) settings.maxTokens() * OnnxEmbedder.CHARS_PER_TOKEN_CAP);
  }

  private float[][] post(List<String> inputs) {
    HttpRequest request = HttpRequest.newBuilder(settings.endpoint())
        .timeout(settings.requestTimeout())
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .headers(authorization())
        .POST(HttpRequest.BodyPublishers.ofString(OpenAiWire.request(settings.model(), inputs)))
        .build();
    for (int attempt = 1; ; attempt++) {
      String failure;
      Optional<Duration> retryAfter = Optional.empty();
      try {
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        String body = read(response, inputs.size());
        int status = response.statusCode();
        if (status == 200) {
          return OpenAiWire.vectors(body, inputs.size(), settings.dimensions());
        }
        failure = "HTTP " + status + describe(body);
        if (status != 429 && status < 500) {
          throw new EmbeddingException("embedding API refused the request: " + failure, false);
        }
        retryAfter = response.headers().firstValue("Retry-After").flatMap(OpenAiEmbedder::seconds);
      } catch (IOException e) {
        failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EmbeddingException("interrupted while calling the embedding API", true, e);
      }
      if (attempt >= settings.maxAttempts()) {
        throw new EmbeddingException(
            "embedding API failed " + attempt + " times, last: " + failure, true);
      }
      Duration wait = backoff(attempt, retryAfter);
      log.warn("embedding API try {} of {} failed ({}); retrying in {} ms",
          attempt, settings.maxAttempts(), failure, wait.toMillis());
      sleep(wait);
    }
  }

  private String[] authorization() {
    return settings.apiKey().isEmpty()
        ? new String[] {"User-Agent", "cairn"}
        : new String[] {"User-Agent", "cairn", "Authorization", "Bearer " + settings.apiKey()};
  }

  /**
   * The body, at most what the vectors of this many inputs can take as JSON (plus room for an
   * error page): a misbehaving server cannot make us buffer gigabytes.
   */
  private String read(HttpResponse<InputStream> response, int inputs) throws IOException {
    long limit = 1_048_576L + (long) inputs * settings.dimensions() * 32;
    try (InputStream in = response.body()) {
      byte[] bytes = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
      if (bytes.length > limit) {
        throw new EmbeddingException(
            "embedding API response is larger than " + limit + " bytes for " + inputs + " inputs", false);
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static String describe(String body) {
    String message = OpenAiWire.errorMessage(body);
    return message.isEmpty() ? "" : ": " + message;
  }

  /** Doubling from initialBackoff with "equal jitter" (half fixed, half random), capped. */
  Duration backoff(int attempt, Optional<Duration> retryAfter) {
    long cap = settings.maxBackoff().toMillis();
    if (retryAfter.isPresent()) {
      return Duration.ofMillis(Math.min(cap, retryAfter.get().toMillis()));
    }
    long base = Math.min(cap, settings.initialBackoff().toMillis() << Math.min(attempt - 1, 20));
    long half = base / 2;
    return Duration.ofMillis(half + (half == 0 ? 0 : random.nextLong(half + 1)));
  }

  private static Optional<Duration> seconds(String header) {
    try {
      long seconds = Long.parseLong(header.trim());
      return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty(); // an HTTP date: fall back to our own backoff
    }
  }

  private void sleep(Duration wait) {
    try {
      sleeper.sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EmbeddingException("interrupted while waiting to retry the embedding API", true, e);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("embedder " + modelId() + " is closed");
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      http.close();
    }
  }
}
