package dev.cairn.server.testing;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.config.CairnConfig;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;

/**
 * One real Cairn for the end-to-end tests of the whole JVM: Netty on an ephemeral port,
 * over the shared test PostgreSQL (as an external database, so that path is exercised),
 * with an admin token and helpers to make users and authenticated stubs.
 */
public final class CairnTestServer {
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789";
  public static final MutableClock CLOCK = new MutableClock();

  private static volatile CairnTestServer instance;

  /** Key material shared by every server of this JVM on the test database (see {@link #config}). */
  private static final Map<String, String> SHARED_KEYS = sharedKeys();

  private static Map<String, String> sharedKeys() {
    byte[] hmac = new byte[32];
    new java.security.SecureRandom().nextBytes(hmac);
    return Map.of(
        "CAIRN_KEK", dev.cairn.server.crypto.KeyEncryptionKeys.generate(),
        "CAIRN_AUDIT_HMAC_KEY", java.util.Base64.getEncoder().encodeToString(hmac),
        "CAIRN_ATTESTATION_KEY", dev.cairn.server.crypto.Attestations.generateKey());
  }

  private final CairnServer server;
  private final ManagedChannel channel;

  private CairnTestServer(CairnServer server) {
    this.server = server;
    this.channel = NettyChannelBuilder.forAddress("localhost", server.grpcPort()).usePlaintext().build();
  }

  public static CairnTestServer get() {
    CairnTestServer s = instance;
    if (s == null) {
      synchronized (CairnTestServer.class) {
        s = instance;
        if (s == null) {
          s = new CairnTestServer(CairnServer.start(config(Map.of()), CLOCK, new PrintStream(PrintStream.nullOutputStream())));
          instance = s;
          Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
      }
    }
    return s;
  }

  /** A configuration for a server on the shared test database; {@code extra} overrides. */
  public static CairnConfig config(Map<String, String> extra) {
    TestDatabase db = TestDatabase.get();
    // every server on the shared database shares the keys (a test may override them): a job one
    // server enqueued may be claimed by another's worker, which must unwrap the owner's data key
    Map<String, String> env = new HashMap<>(SHARED_KEYS);
    try {
      env.put("CAIRN_DATA_DIR", Files.createTempDirectory("cairn-test-data").toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    env.put("CAIRN_DATABASE_URL", db.url());
    env.put("CAIRN_DATABASE_USER", "postgres");
    env.put("CAIRN_DATABASE_APP_USER", TestDatabase.APP_ROLE);
    env.put("CAIRN_DATABASE_APP_PASSWORD", TestDatabase.APP_PASSWORD);
    env.put("CAIRN_GRPC_PORT", "0");
    env.put("CAIRN_METRICS_PORT", "0");
    env.put("CAIRN_ADMIN_TOKEN", ADMIN_TOKEN);
    env.put("CAIRN_DEMO_USER", "false");
    env.put("CAIRN_SHUTDOWN_GRACE_SECONDS", "2");
    env.putAll(extra);
    return CairnConfig.fromMap(env);
  }

  public CairnServer server() {
    return server;
  }

  public ManagedChannel channel() {
    return channel;
  }

  public static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  public IdentityServiceGrpc.IdentityServiceBlockingStub identity(String token) {
    return IdentityServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(token));
  }

  public IdentityServiceGrpc.IdentityServiceBlockingStub admin() {
    return identity(ADMIN_TOKEN);
  }

  /** A user with a read/write token. */
  public record TestUser(User user, String token) {
    public String id() {
      return user.getName().substring("users/".length());
    }
  }

  /** Creates a fresh user (unique name) with a read/write token. */
  public TestUser newUser(String prefix) {
    String username = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    User user =
        admin()
            .createUser(CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername(username)).build())
            .getUser();
    String token =
        admin()
            .createApiToken(
                CreateApiTokenRequest.newBuilder()
                    .setParent(user.getName())
                    .setDisplayName("test")
                    .addScopes(TokenScope.TOKEN_SCOPE_READ)
                    .addScopes(TokenScope.TOKEN_SCOPE_WRITE)
                    .build())
            .getToken();
    return new TestUser(user, token);
  }

  /** The ErrorInfo of a failed call. */
  public static Optional<ErrorInfo> errorInfo(StatusRuntimeException e) {
    var status = StatusProto.fromThrowable(e);
    if (status == null) {
      return Optional.empty();
    }
    return status.getDetailsList().stream()
        .filter(a -> a.is(ErrorInfo.class))
        .findFirst()
        .map(a -> unpack(a, ErrorInfo.class));
  }

  /** The BadRequest of a failed call. */
  public static Optional<BadRequest> badRequest(StatusRuntimeException e) {
    var status = StatusProto.fromThrowable(e);
    if (status == null) {
      return Optional.empty();
    }
    return status.getDetailsList().stream()
        .filter(a -> a.is(BadRequest.class))
        .findFirst()
        .map(a -> unpack(a, BadRequest.class));
  }

  private static <T extends com.google.protobuf.Message> T unpack(com.google.protobuf.Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  public static Status.Code code(StatusRuntimeException e) {
    return e.getStatus().getCode();
  }

  private void stop() {
    channel.shutdownNow();
    server.close();
  }

  /**
   * Links every audit event queued so far into its chain (waiting for the background chainer
   * where it holds a chain): for tests that read audit rows straight from the tables.
   */
  public long chainAudit() {
    return new dev.cairn.server.audit.AuditChainer(server().vault().database()).chainAll();
  }
}
