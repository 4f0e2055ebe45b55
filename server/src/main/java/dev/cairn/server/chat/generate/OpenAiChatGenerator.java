package dev.cairn.server.chat.generate;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Generator} streaming from an OpenAI-compatible {@code POST /v1/chat/completions} with
 * {@code stream: true} on the JDK HTTP client. The model is told to answer only from the
 * numbered sources and cite them as {@code [n]}; with no sources it is not asked at all (the
 * answer is {@link FinishReason#NO_SOURCES}).
 *
 * <p>Failures before the first piece of text — connection errors, 429, 5xx, no text within the
 * first-token timeout — are retried with exponential backoff and jitter (honouring Retry-After
 * up to the cap); after it nothing is retried, since the caller already has part of an answer.
 * Cancellation aborts the exchange at once and closes its connection. Token counts are the
 * server's when it streams usage, estimates ({@link Answers#estimateTokens}) otherwise.
 */
public final class OpenAiChatGenerator implements Generator, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OpenAiChatGenerator.class);
  /** An event line longer than this is a broken server, not an answer: one token is a few bytes. */
  private static final int MAX_LINE_BYTES = 1 << 20;
  private static final int MAX_ERROR_BODY_BYTES = 64 << 10;

  private final OpenAiChatSettings settings;
  private final HttpClient http;
  private final ScheduledThreadPoolExecutor timer;
  private final RandomGenerator random;

  OpenAiChatGenerator(OpenAiChatSettings settings, RandomGenerator random) {
    this.settings = requireNonNull(settings, "settings");
    this.random = requireNonNull(random, "random");
    HttpClient.Builder builder = HttpClient.newBuilder()
        .connectTimeout(settings.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER);
    if ("http".equals(settings.baseUrl().getScheme())) {
      // no h2c upgrade attempt on plain HTTP: local servers speak HTTP/1.1, and a cancelled
      // HTTP/1.1 exchange closes its connection, which the server notices and stops generating
      builder.version(HttpClient.Version.HTTP_1_1);
    }
    this.http = builder.build();
    this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform()
        .name("cairn-chat-openai-timer").daemon().factory());
    timer.setRemoveOnCancelPolicy(true);
  }

  public static OpenAiChatGenerator create(OpenAiChatSettings settings) {
    return new OpenAiChatGenerator(settings, new SplittableRandom());
  }

  @Override
  public String name() {
    return "openai";
  }

  @Override
  public Generation generate(Prompt prompt, GenerationSink sink, Cancellation cancellation)
      throws GenerationException {
    requireNonNull(prompt, "prompt");
    requireNonNull(sink, "sink");
    requireNonNull(cancellation, "cancellation");
    int promptTokens = Answers.estimatePromptTokens(prompt);
    if (cancellation.isCancelled()) {
      return new Generation(FinishReason.CANCELLED, promptTokens, 0);
    }
    if (prompt.sources().isEmpty()) {
      sink.delta(Answers.NOTHING_FOUND);
      return new Generation(FinishReason.NO_SOURCES, 0,
          Answers.estimateTokens(Answers.NOTHING_FOUND.length()));
    }
    Call call = new Call(cancellation);
    cancellation.onCancel(call::cancel);
    HttpRequest request = request(ChatWire.request(settings, prompt));
    AnswerStream stream = new AnswerStream(sink, call, promptTokens, settings);
    for (int attempt = 1; ; attempt++) {
      if (call.cancelled()) {
        return stream.cancelled();
      }
      try {
        return attempt(request, stream);
      } catch (GenerationException e) {
        throw new GenerationException(redact(e.getMessage()), e.retryable(), e.getCause());
      } catch (Retry retry) {
        if (call.cancelled()) {
          return stream.cancelled();
        }
        if (attempt >= settings.maxAttempts()) {
          throw new GenerationException("model server failed " + attempt
              + " times before answering, last: " + redact(retry.getMessage()), true, null);
        }
        Duration wait = backoff(attempt, retry.retryAfter);
        log.warn("model server try {} of {} failed ({}); retrying in {} ms",
            attempt, settings.maxAttempts(), redact(retry.getMessage()), wait.toMillis());
        if (call.sleep(wait)) {
          return stream.cancelled();
        }
      }
    }
  }

  private HttpRequest request(String body) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(settings.endpoint())
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .header("User-Agent", "cairn")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (!settings.apiKey().isEmpty()) {
      builder.header("Authorization", "Bearer " + settings.apiKey());
    }
    return builder.build(); // no request timeout: the watchdog times the first token instead
  }

  private Generation attempt(HttpRequest request, AnswerStream stream) throws Retry, GenerationException {
    Upstream upstream = new Upstream(
        http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream()), timer,
        settings.firstTokenTimeout(), settings.idleTimeout());
    stream.call.current(upstream);
    try {
      HttpResponse<InputStream> response = response(upstream);
      if (response == null) {
        return stream.cancelled();
      }
      upstream.attach(response.body());
      if (response.statusCode() != 200) {
        refused(response);
      }
      return stream.read(upstream, new SseReader(response.body(), MAX_LINE_BYTES));
    } finally {
      upstream.finish();
    }
  }

  /** The response headers, or null if the answer was cancelled meanwhile. */
  private @Nullable HttpResponse<InputStream> response(Upstream upstream) throws Retry, GenerationException {
    try {
      return upstream.response().get();
    } catch (CancellationException | ExecutionException e) {
      return switch (upstream.aborted()) {
        case CANCELLED -> null;
        case FIRST_TOKEN_TIMEOUT -> throw Retry.firstTokenTimeout(settings.firstTokenTimeout());
        case IDLE_TIMEOUT, NONE -> throw new Retry(describe(e.getCause() == null ? e : e.getCause()), null);
      };
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GenerationException("interrupted while waiting for the model server", false, e);
    }
  }

  /** A non-200 answer: retried if 429 or 5xx, otherwise a clear refusal. */
  private void refused(HttpResponse<InputStream> response) throws Retry, GenerationException {
    int status = response.statusCode();
    String message = ChatWire.errorMessage(readError(response.body()));
    String failure = "HTTP " + status + (message.isEmpty() ? "" : ": " + message);
    if (status == 429 || status >= 500) {
      throw new Retry(failure,
          response.headers().firstValue("Retry-After").flatMap(OpenAiChatGenerator::seconds).orElse(null));
    }
    String hint = status == 401 || status == 403 ? " (check the API key)" : status == 404 ? " (check the base URL and model)" : "";
    throw new GenerationException("model server refused the request: " + failure + hint, false, null);
  }

  private static String readError(InputStream body) {
    try (body) {
      return new String(body.readNBytes(MAX_ERROR_BODY_BYTES), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** Doubling from initialBackoff with "equal jitter" (half fixed, half random), capped. */
  Duration backoff(int attempt, @Nullable Duration retryAfter) {
    long cap = settings.maxBackoff().toMillis();
    if (retryAfter != null) {
      return Duration.ofMillis(Math.min(cap, retryAfter.toMillis()));
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

  static String describe(Throwable e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /** Servers echo keys in their errors ("Incorrect API key provided: sk-…"); logs must not. */
  String redact(@Nullable String text) {
    if (text == null) {
      return "";
    }
    return settings.apiKey().isEmpty() ? text : text.replace(settings.apiKey(), "***");
  }

  @Override
  public void close() {
    timer.shutdownNow();
    http.close();
  }

  /** A failure before any text was emitted, worth another try. */
  static final class Retry extends Exception {
    final @Nullable Duration retryAfter;

    Retry(String message, @Nullable Duration retryAfter) {
      super(message, null, false, false);
      this.retryAfter = retryAfter;
    }

    static Retry firstTokenTimeout(Duration timeout) {
      return new Retry("no answer within the first-token timeout of " + timeout.toMillis() + " ms", null);
    }
  }
}
