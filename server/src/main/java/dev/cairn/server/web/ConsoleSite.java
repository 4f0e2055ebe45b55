package dev.cairn.server.web;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the built console ({@code web/dist}) over plain HTTP for the gateway's {@code web}
 * upstream, so one Cairn process (or every replica) brings its own console and the browser sees
 * the console and the API on one origin. Read-only and deliberately small: GET and HEAD of files
 * under one folder, never a directory listing, never a path outside it (symlinks included);
 * paths without a file extension get {@code index.html}, the single-page app's entry.
 */
public final class ConsoleSite implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConsoleSite.class);

  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("html", "text/html; charset=utf-8"),
      Map.entry("js", "text/javascript; charset=utf-8"),
      Map.entry("mjs", "text/javascript; charset=utf-8"),
      Map.entry("css", "text/css; charset=utf-8"),
      Map.entry("json", "application/json"),
      Map.entry("webmanifest", "application/manifest+json"),
      Map.entry("svg", "image/svg+xml"),
      Map.entry("png", "image/png"),
      Map.entry("ico", "image/x-icon"),
      Map.entry("webp", "image/webp"),
      Map.entry("woff2", "font/woff2"),
      Map.entry("txt", "text/plain; charset=utf-8"),
      Map.entry("wasm", "application/wasm"));

  /**
   * The page may load only its own scripts and styles and talk only to its own origin (the
   * gateway); inline styles are allowed because Svelte sets style attributes.
   */
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
      + "frame-ancestors 'none'; form-action 'self'";

  private final Path root;
  private final HttpServer http;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  private ConsoleSite(Path root, HttpServer http) {
    this.root = root;
    this.http = http;
  }

  /** Serves {@code dir} on {@code port} (0: any free port) on every address. */
  public static ConsoleSite start(Path dir, int port) {
    requireNonNull(dir, "dir");
    try {
      Path root = dir.toRealPath();
      var site = new ConsoleSite(root, HttpServer.create(new InetSocketAddress(port), 0));
      site.http.createContext("/", site::handle);
      // file reads block: each request on its own virtual thread
      site.http.setExecutor(site.executor);
      site.http.start();
      log.info("console: serving {} on port {}", root, site.port());
      return site;
    } catch (IOException e) {
      throw new UncheckedIOException("could not serve the console from " + dir + " on port " + port, e);
    }
  }

  public int port() {
    return http.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      boolean head = method.equals("HEAD");
      if (!head && !method.equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, "method not allowed", head);
        return;
      }
      Optional<Path> file = resolve(exchange.getRequestURI());
      if (file.isEmpty()) {
        send(exchange, 404, "not found", head);
        return;
      }
      serve(exchange, file.get(), head);
    }
  }

  /**
   * The file a request path names, or empty when it names nothing under the root. A path that
   * leaves the root (dot segments, encoded or not, or a symlink pointing out) names nothing.
   */
  Optional<Path> resolve(URI uri) {
    String path = uri.getPath();
    if (path == null || !path.startsWith("/") || path.indexOf('\0') >= 0 || path.contains("\\")) {
      return Optional.empty();
    }
    Path candidate;
    try {
      candidate = root.resolve(path.substring(1)).normalize();
    } catch (InvalidPathException e) {
      return Optional.empty();
    }
    if (!candidate.startsWith(root)) {
      return Optional.empty();
    }
    if (Files.isDirectory(candidate) || (!Files.exists(candidate) && !hasExtension(candidate))) {
      candidate = root.resolve("index.html");
    }
    try {
      Path real = candidate.toRealPath();
      return real.startsWith(root) && Files.isRegularFile(real) ? Optional.of(real) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static boolean hasExtension(Path file) {
    Path name = file.getFileName();
    return name != null && name.toString().lastIndexOf('.') > 0;
  }

  private void serve(HttpExchange exchange, Path file, boolean head) throws IOException {
    var headers = exchange.getResponseHeaders();
    headers.set("Content-Type", TYPES.getOrDefault(extension(file), "application/octet-stream"));
    headers.set("Cache-Control", cacheControl(file));
    securityHeaders(exchange);
    long length;
    try {
      length = Files.size(file);
    } catch (NoSuchFileException e) {
      send(exchange, 404, "not found", head);
      return;
    }
    exchange.sendResponseHeaders(200, head ? -1 : length);
    if (!head) {
      try (InputStream in = Files.newInputStream(file); OutputStream out = exchange.getResponseBody()) {
        in.transferTo(out);
      }
    }
  }

  /** Vite puts content-hashed names under assets/: cached for good; anything else revalidated. */
  private String cacheControl(Path file) {
    return root.relativize(file).startsWith("assets") ? "public, max-age=31536000, immutable" : "no-cache";
  }

  private static void securityHeaders(HttpExchange exchange) {
    var headers = exchange.getResponseHeaders();
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Content-Security-Policy", CSP);
  }

  private static void send(HttpExchange exchange, int status, String text, boolean head) throws IOException {
    byte[] body = (text + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    securityHeaders(exchange);
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      exchange.getResponseBody().write(body);
    }
  }

  private static String extension(Path file) {
    String name = String.valueOf(file.getFileName());
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  @Override
  public void close() {
    http.stop(0);
    executor.close();
  }
}
