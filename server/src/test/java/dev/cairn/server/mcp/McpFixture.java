package dev.cairn.server.mcp;

import com.google.protobuf.ByteString;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** One real Cairn with its MCP endpoint on an ephemeral port, over the shared test database. */
final class McpFixture {
  static final McpFixture INSTANCE = new McpFixture();

  final CairnServer server;
  final ManagedChannel channel;

  private McpFixture() {
    server = CairnServer.start(CairnTestServer.config(Map.of("CAIRN_MCP_PORT", "0")), CairnTestServer.CLOCK,
        new PrintStream(PrintStream.nullOutputStream()));
    channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      channel.shutdownNow();
      server.close();
    }));
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.mcpPort();
  }

  /** A fresh user with a token of {@code scopes}. */
  TestUser newUser(String prefix, TokenScope... scopes) {
    var admin = IdentityServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN));
    User user = admin.createUser(CreateUserRequest.newBuilder()
        .setUser(User.newBuilder().setUsername(prefix + "-" + UUID.randomUUID().toString().substring(0, 8))).build())
        .getUser();
    String token = admin.createApiToken(CreateApiTokenRequest.newBuilder().setParent(user.getName())
        .setDisplayName("mcp test").addAllScopes(List.of(scopes)).build()).getToken();
    return new TestUser(user, token);
  }

  TestUser newUser(String prefix) {
    return newUser(prefix, TokenScope.TOKEN_SCOPE_READ, TokenScope.TOKEN_SCOPE_WRITE);
  }

  /** Another token of the same user, with only {@code scopes}. */
  String token(TestUser user, TokenScope... scopes) {
    return IdentityServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN))
        .createApiToken(CreateApiTokenRequest.newBuilder().setParent(user.user().getName())
            .setDisplayName("mcp test").addAllScopes(List.of(scopes)).build()).getToken();
  }

  VaultServiceGrpc.VaultServiceBlockingStub vault(TestUser user) {
    return VaultServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  /** A searchable text document, indexed before this returns. */
  String document(TestUser owner, String displayName, String text) {
    Item item = Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setDisplayName(displayName)
        .setMediaType("text/plain").setSearchable(true).setContent(ByteString.copyFrom(text, StandardCharsets.UTF_8))
        .build();
    String name = vault(owner).createItem(CreateItemRequest.newBuilder().setItem(item).build()).getItem().getName();
    index();
    return name;
  }

  /** An MCP client (the official Java SDK's) that sends {@code token}; initialized. */
  McpSyncClient client(String token) {
    var transport = HttpClientStreamableHttpTransport.builder(baseUrl()).endpoint("/mcp")
        .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + token))
        .build();
    McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(120))
        .jsonSchemaValidator(new NoOutputSchemas()).build();
    client.initialize();
    return client;
  }

  static String text(McpSchema.CallToolResult result) {
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  /** Runs the due index jobs and waits for them, also those another server on the database claimed. */
  void index() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      server.jobWorker().runDue();
      if (!pendingIndexJobs()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("search-index jobs still due after 60 s");
      }
      try {
        Thread.sleep(20); // polling a table another process writes: there is nothing to wait on
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private static boolean pendingIndexJobs() {
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var ps = c.prepareStatement("SELECT 1 FROM cairn.jobs WHERE kind = 'search-index'"
            + " AND (state = 'RUNNING' OR (state = 'PENDING' AND attempts = 0)) LIMIT 1");
        var rs = ps.executeQuery()) {
      return rs.next();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
