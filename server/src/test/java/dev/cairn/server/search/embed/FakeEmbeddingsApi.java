package dev.cairn.server.search.embed;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A local stand-in for an OpenAI-compatible embeddings server on the loopback address, speaking
 * OpenAI's wire format: by default it answers each input with a deterministic vector and lists
 * the data in reverse order (the API does not promise input order); queued answers (errors, a
 * 429) are served first.
 */
final class FakeEmbeddingsApi implements AutoCloseable {
  record Recorded(String method, String path, String authorization, String contentType, JsonObject body) {}

  /** One scripted answer: a status, a body and an optional Retry-After, or a stall. */
  record Scripted(int status, String body, String retryAfter, long stallMillis) {
    static Scripted error(int status, String message, String type) {
      return new Scripted(status, errorBody(message, type), "", 0);
    }

    static Scripted raw(int status, String body) {
      return new Scripted(status, body, "", 0);
    }

    static Scripted stall(long millis) {
      return new Scripted(200, "", "", millis);
    }
  }

  final int dimensions;
  final List<Recorded> requests = new CopyOnWriteArrayList<>();
  final Queue<Scripted> script = new ConcurrentLinkedQueue<>();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  FakeEmbeddingsApi(int dimensions) throws IOException {
    this.dimensions = dimensions;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor); // a stalled answer must not hold up the retry behind it
    server.start();
  }

  URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The vector the fake gives a text: a few of its character codes, not normalised. */
  static float[] vectorOf(String text, int dimensions) {
    float[] v = new float[dimensions];
    for (int d = 0; d < dimensions; d++) {
      v[d] = 1 + text.charAt(d % text.length()) % 17 + d;
    }
    return v;
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

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String raw = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      JsonObject body = raw.isEmpty() ? new JsonObject() : JsonParser.parseString(raw).getAsJsonObject();
      requests.add(new Recorded(
          exchange.getRequestMethod(),
          exchange.getRequestURI().getPath(),
          exchange.getRequestHeaders().getFirst("Authorization"),
          exchange.getRequestHeaders().getFirst("Content-Type"),
          body));
      Scripted next = script.poll();
      if (next != null && next.stallMillis() > 0) {
        sleep(next.stallMillis());
        next = null;
      }
      if (next != null) {
        if (!next.retryAfter().isEmpty()) {
          exchange.getResponseHeaders().add("Retry-After", next.retryAfter());
        }
        send(exchange, next.status(), next.body());
        return;
      }
      if (!exchange.getRequestURI().getPath().equals("/v1/embeddings")) {
        send(exchange, 404, errorBody("Unknown path", "invalid_request_error"));
        return;
      }
      send(exchange, 200, success(body));
    }
  }

  private String success(JsonObject request) {
    List<String> inputs = new ArrayList<>();
    request.getAsJsonArray("input").forEach(e -> inputs.add(e.getAsString()));
    List<JsonObject> data = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      JsonObject item = new JsonObject();
      item.addProperty("object", "embedding");
      item.addProperty("index", i);
      JsonArray embedding = new JsonArray();
      for (float x : vectorOf(inputs.get(i), dimensions)) {
        embedding.add(x);
      }
      item.add("embedding", embedding);
      data.add(item);
    }
    Collections.reverse(data);
    JsonArray array = new JsonArray();
    data.forEach(array::add);
    JsonObject usage = new JsonObject();
    usage.addProperty("prompt_tokens", inputs.size() * 3);
    usage.addProperty("total_tokens", inputs.size() * 3);
    JsonObject response = new JsonObject();
    response.addProperty("object", "list");
    response.add("data", array);
    response.addProperty("model", request.get("model").getAsString());
    response.add("usage", usage);
    return response.toString();
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
