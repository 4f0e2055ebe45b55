package dev.cairn.server.chat.generate;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local stand-in for an OpenAI-compatible chat server on the loopback address, streaming
 * OpenAI's wire format ({@code data: {chunk}} events separated by blank lines, then
 * {@code data: [DONE]}). Queued scripts answer requests in order; with none queued it streams
 * "Hello world." with usage.
 */
final class FakeChatApi implements AutoCloseable {
  record Recorded(String path, String authorization, String accept, JsonObject body) {}

  @FunctionalInterface
  interface Script {
    void serve(HttpExchange exchange) throws IOException;
  }

  final List<Recorded> requests = new CopyOnWriteArrayList<>();
  final Queue<Script> script = new ConcurrentLinkedQueue<>();
  /** When a streamUntilClosed script saw its client go away (System.nanoTime). */
  final AtomicLong closedAtNanos = new AtomicLong();
  final CountDownLatch closed = new CountDownLatch(1);
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  FakeChatApi() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor); // a stalled answer must not hold up the retry behind it
    server.start();
  }

  URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String raw = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      requests.add(new Recorded(
          exchange.getRequestURI().getPath(),
          exchange.getRequestHeaders().getFirst("Authorization"),
          exchange.getRequestHeaders().getFirst("Accept"),
          raw.isEmpty() ? new JsonObject() : JsonParser.parseString(raw).getAsJsonObject()));
      Script next = script.poll();
      (next != null ? next : events(normal("Hello", " world", "."))).serve(exchange);
    }
  }

  // --- scripts ---

  /** 200 with these events, each as {@code data: …} and a blank line, flushed one by one. */
  static Script events(List<String> events) {
    return exchange -> {
      OutputStream out = startStream(exchange);
      for (String event : events) {
        write(out, "data: " + event + "\n\n");
      }
    };
  }

  /** 200 with exactly these bytes as the body (for wire-format edge cases). */
  static Script rawStream(String body) {
    return exchange -> write(startStream(exchange), body);
  }

  static Script status(int status, String body) {
    return exchange -> {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
    };
  }

  /** Sends nothing at all (no headers) until the client gives up or the fake closes. */
  Script stallBeforeHeaders() {
    return exchange -> await(stopping);
  }

  /** Sends 200 and the role chunk, then nothing until the client gives up or the fake closes. */
  Script stallAfterHeaders() {
    return exchange -> {
      OutputStream out = startStream(exchange);
      write(out, "data: " + roleChunk() + "\n\n");
      await(stopping);
    };
  }

  /**
   * Streams a word every 20 ms until a write fails because the client closed the connection, and
   * records when that was.
   */
  Script streamUntilClosed() {
    return streamUntilClosed(Integer.MAX_VALUE);
  }

  /**
   * Like {@link #streamUntilClosed()}, but after {@code words} words only keep-alive comments
   * follow: the client's reader then blocks with no event to wake it.
   */
  Script streamUntilClosed(int words) {
    return exchange -> {
      OutputStream out = startStream(exchange);
      try {
        for (int i = 0; stopping.getCount() > 0; i++) {
          write(out, i < words ? "data: " + chunk("word" + i + " ") + "\n\n" : ": keep-alive\n\n");
          Thread.sleep(20); // the pace of a model producing tokens
        }
      } catch (IOException e) {
        closedAtNanos.set(System.nanoTime());
        closed.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  // --- the wire format ---

  /** A whole successful stream: role chunk, the contents, finish "stop", usage, [DONE]. */
  static List<String> normal(String... contents) {
    List<String> events = new java.util.ArrayList<>();
    events.add(roleChunk());
    for (String c : contents) {
      events.add(chunk(c));
    }
    events.add(finishChunk("stop"));
    events.add(usageChunk(42, contents.length));
    events.add("[DONE]");
    return events;
  }

  static String chunk(String content) {
    JsonObject delta = new JsonObject();
    delta.addProperty("content", content);
    return envelope(delta, null);
  }

  static String roleChunk() {
    JsonObject delta = new JsonObject();
    delta.addProperty("role", "assistant");
    delta.addProperty("content", "");
    return envelope(delta, null);
  }

  static String finishChunk(String reason) {
    return envelope(new JsonObject(), reason);
  }

  static String usageChunk(int prompt, int completion) {
    JsonObject usage = new JsonObject();
    usage.addProperty("prompt_tokens", prompt);
    usage.addProperty("completion_tokens", completion);
    usage.addProperty("total_tokens", prompt + completion);
    JsonObject chunk = base();
    chunk.add("choices", new JsonArray());
    chunk.add("usage", usage);
    return chunk.toString();
  }

  static String errorBody(String message, String type) {
    JsonObject error = new JsonObject();
    error.addProperty("message", message);
    error.addProperty("type", type);
    error.add("param", null);
    error.add("code", null);
    JsonObject body = new JsonObject();
    body.add("error", error);
    return body.toString();
  }

  private static String envelope(JsonObject delta, String finishReason) {
    JsonObject choice = new JsonObject();
    choice.addProperty("index", 0);
    choice.add("delta", delta);
    if (finishReason == null) {
      choice.add("finish_reason", null);
    } else {
      choice.addProperty("finish_reason", finishReason);
    }
    JsonArray choices = new JsonArray();
    choices.add(choice);
    JsonObject chunk = base();
    chunk.add("choices", choices);
    return chunk.toString();
  }

  private static JsonObject base() {
    JsonObject chunk = new JsonObject();
    chunk.addProperty("id", "chatcmpl-fake");
    chunk.addProperty("object", "chat.completion.chunk");
    chunk.addProperty("created", 1_700_000_000);
    chunk.addProperty("model", "fake-model");
    return chunk;
  }

  private static OutputStream startStream(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
    exchange.getResponseHeaders().add("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0); // chunked
    return exchange.getResponseBody();
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stopping.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
