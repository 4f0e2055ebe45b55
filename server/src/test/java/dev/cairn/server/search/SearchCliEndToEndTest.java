package dev.cairn.server.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.cairn.client.cli.CairnCli;
import dev.cairn.client.cli.ClientFactory;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn ingest} and {@code cairn search} end to end, in process, against the real server over Netty. */
class SearchCliEndToEndTest {
  private static final CairnTestServer SERVER = CairnTestServer.get();
  @TempDir Path dir;

  /** One CLI run against the server on {@code port} as {@code token}. */
  record Run(int exit, String out, String err) {
    static Run of(int port, String token, String... args) {
      var out = new StringWriter();
      var err = new StringWriter();
      int exit = new CairnCli(ClientFactory.DEFAULT, new PrintWriter(out), new PrintWriter(err),
          Map.of("CAIRN_TARGET", "localhost:" + port, "CAIRN_TOKEN", token), Clock.systemUTC(),
          new ByteArrayOutputStream(), false).execute(args);
      return new Run(exit, out.toString(), err.toString());
    }

    static Run as(TestUser user, String... args) {
      return of(SERVER.server().grpcPort(), user.token(), args);
    }

    JsonObject json() {
      return JsonParser.parseString(out).getAsJsonObject();
    }

    @Override
    public String toString() {
      return "exit " + exit + "\nout: " + out + "\nerr: " + err;
    }
  }

  /** notes/solar.md, page.html, plain.txt (an emoji before its word), photo.png. */
  private Path folder() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("docs"));
    Files.createDirectories(folder.resolve("notes"));
    Files.writeString(folder.resolve("notes/solar.md"), "# Rooftops\n\nThe heliotrope panels track the sun all day.\n");
    Files.writeString(folder.resolve("page.html"),
        "<html><head><title>Wind</title></head><body><h1>Wind</h1><p>Offshore turbines spin in gales.</p></body></html>");
    Files.writeString(folder.resolve("plain.txt"), "🌻🌻 sunflower oil presses, cold and slow.\n");
    Files.write(folder.resolve("photo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
    return folder;
  }

  private static VaultServiceGrpc.VaultServiceBlockingStub vault(ManagedChannel channel, String token) {
    return VaultServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(token));
  }

  private static int ingested(ManagedChannel channel, String token) {
    return vault(channel, token).listItems(ListItemsRequest.newBuilder().setPageSize(1000).addLabels("source_path").build())
        .getItemsCount();
  }

  @Test
  void ingestOfAFolderWaitsForIndexingThenSearchShowsHighlightedHitsForMarkdownHtmlAndText() throws Exception {
    TestUser user = SERVER.newUser("cli-ingest");

    Run ingest = Run.as(user, "ingest", folder().toString(), "--label", "set=e2e", "--timeout", "60s");

    assertThat(ingest.exit()).as(ingest.toString()).isZero();
    assertThat(ingest.out()).contains("uploaded 3 file(s)", "indexed 3, failed 0, still pending 0");
    assertThat(ingest.err()).contains("skipping 1 file(s)", ".png ×1");

    Run md = Run.as(user, "search", "heliotrope", "--mode", "lexical");
    assertThat(md.exit()).as(md.toString()).isZero();
    assertThat(md.out()).contains("1. solar.md", "text/markdown", "EXACT", "«heliotrope»", "Rooftops");

    Run html = Run.as(user, "search", "turbines", "--label", "set=e2e");
    assertThat(html.exit()).as(html.toString()).isZero();
    assertThat(html.out()).contains("1. page.html", "text/html", "Offshore «turbines» spin");

    Run emoji = Run.as(user, "search", "sunflower", "--mode", "lexical");
    assertThat(emoji.exit()).as(emoji.toString()).isZero();
    assertThat(emoji.out()).contains("1. plain.txt", "🌻🌻 «sunflower» oil");
  }

  @Test
  void rerunningIngestSkipsFilesAlreadyUploadedWithTheSameHashAndUploadsAChangedOne() throws Exception {
    TestUser user = SERVER.newUser("cli-resume");
    Path folder = folder();
    assertThat(Run.as(user, "ingest", folder.toString(), "--no-wait").exit()).isZero();

    Run again = Run.as(user, "ingest", folder.toString(), "--no-wait");

    assertThat(again.exit()).as(again.toString()).isZero();
    assertThat(again.out()).contains("uploaded 0 file(s)", "3 already uploaded");
    assertThat(ingested(SERVER.channel(), user.token())).isEqualTo(3);

    Files.writeString(folder.resolve("plain.txt"), "pressed again, differently\n");
    Run changed = Run.as(user, "ingest", folder.toString(), "--timeout", "60s");
    assertThat(changed.exit()).as(changed.toString()).isZero();
    assertThat(changed.out()).contains("uploaded 1 file(s)", "2 already uploaded", "indexed 3, failed 0");
    assertThat(ingested(SERVER.channel(), user.token())).isEqualTo(4);
  }

  @Test
  void aDocumentThatCannotBeIndexedIsReportedWithTheServersReasonAndExitsOne() throws Exception {
    TestUser user = SERVER.newUser("cli-broken");
    Path folder = Files.createDirectories(dir.resolve("broken"));
    Files.writeString(folder.resolve("ok.txt"), "a perfectly fine text\n");
    Files.writeString(folder.resolve("broken.pdf"), "%PDF-1.7\nthis is not a pdf at all");

    Run ingest = Run.as(user, "ingest", folder.toString(), "--timeout", "60s");

    assertThat(ingest.exit()).as(ingest.toString()).isEqualTo(CairnCli.SERVER_ERROR);
    assertThat(ingest.out()).contains("indexed 1, failed 1").containsPattern("index failed: broken\\.pdf \\(items/[0-9a-f-]+\\): \\S+");
  }

  @Test
  void searchExplainPrefixStageAndJsonShowWhatTheServerAnswered() throws Exception {
    TestUser user = SERVER.newUser("cli-search");
    assertThat(Run.as(user, "ingest", folder().toString(), "--timeout", "60s").exit()).isZero();

    Run explain = Run.as(user, "search", "heliotrope", "--explain", "--mode", "lexical");
    assertThat(explain.out()).contains("explain: lexical", "matched: heliotrop", "stages:", "EXACT");

    Run prefix = Run.as(user, "search", "helio", "--mode", "lexical");
    assertThat(prefix.out()).as(prefix.toString()).contains("PREFIX", "«heliotrope»");

    Run json = Run.as(user, "search", "turbines", "--json");
    assertThat(json.exit()).as(json.toString()).isZero();
    var hit = json.json().getAsJsonArray("hits").get(0).getAsJsonObject();
    assertThat(hit.get("displayName").getAsString()).isEqualTo("page.html");
    assertThat(hit.getAsJsonObject("snippet").getAsJsonArray("highlights")).isNotEmpty();

    Run stranger = Run.as(SERVER.newUser("cli-search-stranger"), "search", "heliotrope");
    assertThat(stranger.exit()).isZero();
    assertThat(stranger.out()).startsWith("no hits").doesNotContain("solar.md");

    Run bad = Run.as(user, "search", "x", "--label", "Bad Key=1");
    assertThat(bad.exit()).isEqualTo(CairnCli.SERVER_ERROR);
    assertThat(bad.err()).contains("INVALID_ARGUMENT");
  }

  @Test
  void ingestWaitsOutTheWriteRateLimitAndUploadsEveryFile() throws Exception {
    // A second server on the shared database has its own key encryption key: it runs no jobs (it
    // could not read the shared server's items, nor they its), and the upload is not searchable
    // (no index job for the shared server's worker to pick up and fail on).
    var config = CairnTestServer.config(Map.of("CAIRN_VAULT_WRITES_PER_MINUTE", "30", "CAIRN_JOBS_CONCURRENCY", "0"));
    try (CairnServer limited = CairnServer.start(config, Clock.systemUTC(), new PrintStream(PrintStream.nullOutputStream()))) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", limited.grpcPort()).usePlaintext().build();
      try {
        String token = newUserToken(channel);
        int refusedAfter = drain(vault(channel, token));
        assertThat(refusedAfter).as("writes before the first refusal (the bucket refills as they run)").isGreaterThanOrEqualTo(30);

        Run ingest = Run.of(limited.grpcPort(), token, "ingest", folder().toString(), "--no-searchable");

        assertThat(ingest.exit()).as(ingest.toString()).isZero();
        assertThat(ingest.err()).contains("RESOURCE_EXHAUSTED", "retrying in");
        assertThat(ingest.out()).contains("uploaded 3 file(s)", "0 failed");
        assertThat(ingested(channel, token)).isEqualTo(3);
        assertThat(vault(channel, token).listItems(ListItemsRequest.newBuilder().addLabels("source_path").build()).getItemsList())
            .noneMatch(Item::getSearchable);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  /** Writes until the server refuses one; returns how many it took. */
  private static int drain(VaultServiceGrpc.VaultServiceBlockingStub vault) {
    for (int i = 0; i < 100; i++) {
      try {
        vault.createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT)
            .setMediaType("text/plain").setContent(ByteString.copyFromUtf8("filler " + i))).build());
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        return i;
      }
    }
    throw new AssertionError("the server never refused a write");
  }

  private static String newUserToken(ManagedChannel channel) {
    var admin = IdentityServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN));
    User user = admin.createUser(CreateUserRequest.newBuilder()
        .setUser(User.newBuilder().setUsername("cli-limited-" + UUID.randomUUID().toString().substring(0, 8))).build()).getUser();
    return admin.createApiToken(CreateApiTokenRequest.newBuilder().setParent(user.getName()).setDisplayName("test")
        .addScopes(TokenScope.TOKEN_SCOPE_READ).addScopes(TokenScope.TOKEN_SCOPE_WRITE).build()).getToken();
  }
}
