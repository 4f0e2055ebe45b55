package dev.cairn.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console's static server, spoken to over raw sockets so no client library tidies a path first. */
class ConsoleSiteTest {
  private static final String SECRET = "the secret outside the web folder";

  @TempDir Path temp;
  private ConsoleSite site;

  @BeforeEach
  void start() throws IOException {
    Path dist = Files.createDirectories(temp.resolve("dist"));
    Files.writeString(dist.resolve("index.html"), "<!doctype html><title>Cairn</title>");
    Files.createDirectories(dist.resolve("assets"));
    Files.writeString(dist.resolve("assets/index-abc123.js"), "console.info('hi')");
    Files.writeString(temp.resolve("secret.txt"), SECRET);
    Files.createSymbolicLink(dist.resolve("escape.txt"), temp.resolve("secret.txt"));
    site = ConsoleSite.start(dist, 0);
  }

  @AfterEach
  void stop() {
    site.close();
  }

  @Test
  void servesFilesWithTheirContentTypeAndCacheRules() throws IOException {
    Response js = get("/assets/index-abc123.js");
    assertThat(js.status).isEqualTo(200);
    assertThat(js.body).isEqualTo("console.info('hi')");
    assertThat(js.headers).containsEntry("content-type", "text/javascript; charset=utf-8")
        .containsEntry("cache-control", "public, max-age=31536000, immutable")
        .containsEntry("x-content-type-options", "nosniff");

    Response index = get("/index.html");
    assertThat(index.headers).containsEntry("content-type", "text/html; charset=utf-8")
        .containsEntry("cache-control", "no-cache")
        .containsEntry("content-security-policy", ConsoleSite.CSP);
  }

  @Test
  void appRoutesAndFoldersGetIndexHtmlNeverAListing() throws IOException {
    for (String path : new String[] {"/", "/vault/items/abc", "/assets/", "/assets"}) {
      Response r = get(path);
      assertThat(r.status).as(path).isEqualTo(200);
      assertThat(r.body).as(path).isEqualTo("<!doctype html><title>Cairn</title>");
    }
  }

  @Test
  void aMissingFileIsNotFound() throws IOException {
    assertThat(get("/assets/gone-123.js").status).isEqualTo(404);
  }

  @Test
  void noPathReachesOutsideTheFolder() throws IOException {
    for (String path : new String[] {
        "/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/assets/%2E%2E/%2E%2E/secret.txt",
        "/..%5csecret.txt", "/escape.txt", "/" + temp.resolve("secret.txt"), "//" + temp.resolve("secret.txt"),
        "/%00/../secret.txt"}) {
      Response r = get(path);
      assertThat(r.body).as(path).doesNotContain(SECRET);
      assertThat(r.status).as(path).isIn(400, 404);
    }
  }

  @Test
  void onlyGetAndHeadAreAllowed() throws IOException {
    Response post = request("POST", "/index.html");
    assertThat(post.status).isEqualTo(405);
    assertThat(post.headers).containsEntry("allow", "GET, HEAD");

    Response head = request("HEAD", "/index.html");
    assertThat(head.status).isEqualTo(200);
    assertThat(head.body).isEmpty();
  }

  private Response get(String path) throws IOException {
    return request("GET", path);
  }

  /** One HTTP/1.1 request with the path exactly as given; the connection is closed after it. */
  private Response request(String method, String path) throws IOException {
    try (var socket = new Socket("127.0.0.1", site.port())) {
      String head = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
          + (method.equals("POST") ? "Content-Length: 0\r\n" : "") + "\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      return Response.read(socket.getInputStream());
    }
  }

  private record Response(int status, Map<String, String> headers, String body) {
    static Response read(InputStream in) throws IOException {
      String raw = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int split = raw.indexOf("\r\n\r\n");
      String[] lines = raw.substring(0, split).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
      return new Response(status, headers, raw.substring(split + 4));
    }
  }
}
