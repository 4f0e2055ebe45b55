package dev.cairn.server.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.search.v1.GetIndexStatusRequest;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 of a real server process (its own JVM, gRPC over Netty, an external PostgreSQL that
 * survives it) while a corpus is being uploaded and indexed; after a restart on the same database
 * and data folder and a resumed upload (same request ids), every document is indexed exactly once:
 * one item per document, one set of chunks per item, no chunk without a vector.
 */
class IngestCrashTest {
  private static final int DOCUMENTS = 240;
  private static final String ADMIN = CairnTestServer.ADMIN_TOKEN;

  @Test
  void killingTheServerMidIngestLosesAndDuplicatesNothingAfterARestart(@TempDir Path work) throws Exception {
    String database = "cairn_crash_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String url = createDatabase(database);
    Path dataDir = Files.createDirectories(work.resolve("data"));
    List<UUID> requestIds = new ArrayList<>();
    for (int i = 0; i < DOCUMENTS; i++) {
      requestIds.add(UUID.randomUUID());
    }

    int port = freePort();
    Process first = startServer(url, dataDir, port, work.resolve("first.log"));
    Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
    String token;
    try {
      awaitServing(port, first, work.resolve("first.log"));
      token = newUserToken(port);
      String owner = token;
      ExecutorService uploaders = Executors.newFixedThreadPool(4);
      ManagedChannel channel = channel(port);
      for (int i = 0; i < DOCUMENTS; i++) {
        int doc = i;
        uploaders.execute(() -> {
          try {
            create(channel, owner, doc, requestIds.get(doc));
            acknowledged.add(doc);
          } catch (StatusRuntimeException e) {
            // the server died under this call: whether it was stored is for the resume to find out
          }
        });
      }
      // kill once uploads are under way and the index jobs have started writing chunks
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (indexedItems(url) < 20 || acknowledged.size() < DOCUMENTS / 3) {
        assertThat(System.nanoTime()).as("indexing started (see " + work.resolve("first.log") + ")").isLessThan(deadline);
        Thread.sleep(20);
      }
      first.destroyForcibly(); // SIGKILL: no shutdown hook, no drain
      first.waitFor(30, TimeUnit.SECONDS);
      uploaders.shutdown();
      uploaders.awaitTermination(1, TimeUnit.MINUTES);
      channel.shutdownNow();
    } finally {
      first.destroyForcibly();
    }
    assertThat(indexedItems(url)).as("killed in the middle of indexing").isLessThan(DOCUMENTS);

    Process second = startServer(url, dataDir, port, work.resolve("second.log"));
    try {
      awaitServing(port, second, work.resolve("second.log"));
      ManagedChannel channel = channel(port);
      try {
        for (int i = 0; i < DOCUMENTS; i++) {
          if (!acknowledged.contains(i)) {
            create(channel, token, i, requestIds.get(i)); // resumed: the same request id stores it once
          }
        }
        var search = SearchServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(token));
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (true) {
          var summary = search.getIndexStatus(GetIndexStatusRequest.getDefaultInstance()).getSummary();
          if (summary.getIndexedCount() == DOCUMENTS) {
            assertThat(summary.getPendingCount()).isZero();
            assertThat(summary.getFailedCount()).isZero();
            break;
          }
          assertThat(System.nanoTime()).as("all indexed after the restart: " + summary).isLessThan(deadline);
          Thread.sleep(100);
        }
      } finally {
        channel.shutdownNow();
      }
    } finally {
      second.destroy();
      second.waitFor(30, TimeUnit.SECONDS);
      second.destroyForcibly();
    }

    assertThat(count(url, "SELECT count(*) FROM cairn.items")).as("one item per document").isEqualTo(DOCUMENTS);
    assertThat(count(url, "SELECT count(DISTINCT item_id) FROM cairn.search_chunks")).as("every document indexed")
        .isEqualTo(DOCUMENTS);
    assertThat(count(url, "SELECT count(*) FROM cairn.search_chunks")).as("one chunk per (small) document, no duplicate")
        .isEqualTo(DOCUMENTS);
    assertThat(count(url, "SELECT count(*) FROM (SELECT item_id FROM cairn.search_chunks GROUP BY item_id "
        + "HAVING count(DISTINCT version) > 1) v")).as("one version's chunks per item").isZero();
    assertThat(count(url, "SELECT count(*) FROM cairn.search_chunks WHERE embedding IS NULL")).as("every chunk has a vector")
        .isZero();
    assertThat(count(url, "SELECT count(*) FROM cairn.search_index_status s JOIN cairn.items i ON i.id = s.item_id "
        + "WHERE s.indexed_version <> i.current_version OR s.chunk_count <> 1")).as("status matches the chunks").isZero();
  }

  private static void create(ManagedChannel channel, String token, int doc, UUID requestId) {
    Item item = Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setDisplayName("doc-" + doc).setMediaType("text/plain")
        .setSearchable(true)
        .setContent(ByteString.copyFromUtf8("Document " + doc + " about crash safety, write-ahead logs and lease "
            + "takeover number " + doc + ". It mentions topic" + doc + " once."))
        .build();
    VaultServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .createItem(CreateItemRequest.newBuilder().setItem(item).setRequestId(requestId.toString()).build());
  }

  private static String newUserToken(int port) {
    ManagedChannel channel = channel(port);
    try {
      var admin = IdentityServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(ADMIN));
      User user = admin.createUser(CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername("crash")).build())
          .getUser();
      return admin.createApiToken(CreateApiTokenRequest.newBuilder().setParent(user.getName()).setDisplayName("crash")
          .addScopes(TokenScope.TOKEN_SCOPE_READ).addScopes(TokenScope.TOKEN_SCOPE_WRITE).build()).getToken();
    } finally {
      channel.shutdownNow();
    }
  }

  /** The server's Main in a JVM of its own, on the test classpath, against {@code url}. */
  private static Process startServer(String url, Path dataDir, int port, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    var builder = new ProcessBuilder(java, "-Xmx1g", "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), "dev.cairn.server.app.Main")
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("CAIRN_"));
    env.put("CAIRN_DATA_DIR", dataDir.toString());
    env.put("CAIRN_DATABASE_URL", url);
    env.put("CAIRN_DATABASE_USER", "postgres");
    env.put("CAIRN_DATABASE_APP_USER", TestDatabase.APP_ROLE);
    env.put("CAIRN_DATABASE_APP_PASSWORD", TestDatabase.APP_PASSWORD);
    env.put("CAIRN_GRPC_PORT", Integer.toString(port));
    env.put("CAIRN_METRICS_PORT", "-1");
    env.put("CAIRN_ADMIN_TOKEN", ADMIN);
    env.put("CAIRN_DEMO_USER", "false");
    env.put("CAIRN_LOG_FORMAT", "text");
    env.put("CAIRN_JOBS_LEASE_SECONDS", "3"); // the dead server's leases run out quickly
    env.put("CAIRN_JOBS_POLL_MILLIS", "100");
    env.put("CAIRN_VAULT_WRITES_PER_MINUTE", "100000");
    return builder.start();
  }

  private static void awaitServing(int port, Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    ManagedChannel channel = channel(port);
    try {
      while (true) {
        assertThat(process.isAlive()).as("server running (see " + log + ")").isTrue();
        try {
          var status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus();
          if (status == HealthCheckResponse.ServingStatus.SERVING) {
            return;
          }
        } catch (StatusRuntimeException e) {
          // not listening yet
        }
        assertThat(System.nanoTime()).as("server serving (see " + log + ")").isLessThan(deadline);
        Thread.sleep(100);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  private static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  private static int freePort() throws Exception {
    try (var socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String createDatabase(String name) throws Exception {
    String url = TestDatabase.get().url();
    try (var c = DriverManager.getConnection(url, "postgres", ""); var s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name); // a generated name, not input
    }
    int slash = url.lastIndexOf('/');
    int query = url.indexOf('?', slash);
    return url.substring(0, slash + 1) + name + (query < 0 ? "" : url.substring(query));
  }

  private static long indexedItems(String url) throws Exception {
    return count(url, "SELECT count(DISTINCT item_id) FROM cairn.search_chunks");
  }

  private static long count(String url, String sql) throws Exception {
    try (var c = DriverManager.getConnection(url, "postgres", ""); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
