package dev.cairn.tools.bench;

import dev.cairn.tools.ToolArgs;
import com.google.protobuf.ByteString;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemView;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Vault put/get throughput and latency against the raw SQL baseline, in one process and one
 * run: Cairn's CreateItem / GetItem(FULL) of N-byte documents (auth, validation, encryption,
 * audit chain, RLS) versus a plain autocommit INSERT / SELECT of the same bytes into a bare
 * table of the same PostgreSQL. Rounds alternate between the two; medians are reported.
 *
 * <pre>java -cp tools/target/cairn-tools.jar dev.cairn.tools.bench.VaultBench \
 *   --target 127.0.0.1:50051 --token $TOKEN --jdbc jdbc:postgresql://localhost:5432/cairn \
 *   [--size 4096] [--ops 2000] [--concurrency 8] [--rounds 3]</pre>
 */
public final class VaultBench {
  private record Result(double opsPerSecond, double p50Millis, double p99Millis) {}

  @FunctionalInterface
  private interface Op {
    void run(int i) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    ToolArgs opts = ToolArgs.parse(args);
    String target = opts.get("target", "127.0.0.1:50051");
    String token = opts.require("token");
    String jdbc = opts.require("jdbc");
    int size = Integer.parseInt(opts.get("size", "4096"));
    int ops = Integer.parseInt(opts.get("ops", "2000"));
    int concurrency = Integer.parseInt(opts.get("concurrency", "8"));
    int rounds = Integer.parseInt(opts.get("rounds", "3"));
    String adminToken = opts.get("admin-token");
    int preload = Integer.parseInt(opts.get("preload", "100000"));

    byte[] payload = new byte[size];
    new Random(42).nextBytes(payload);
    ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
    var vault = vaultAs(channel, token);

    List<Connection> connections = new ArrayList<>();
    for (int i = 0; i < Math.max(concurrency, 1); i++) {
      Connection c = DriverManager.getConnection(jdbc, opts.get("jdbc-user", "postgres"), opts.get("jdbc-password", ""));
      c.setAutoCommit(true);
      connections.add(c);
    }
    try (var s = connections.get(0).createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS bench");
      s.execute("CREATE TABLE IF NOT EXISTS bench.raw_items (id uuid PRIMARY KEY, owner_id uuid NOT NULL, body bytea NOT NULL)");
    }
    UUID owner = UUID.randomUUID();
    List<String> names = new CopyOnWriteArrayList<>();
    List<UUID> rawIds = new CopyOnWriteArrayList<>();
    // warm-up of both sides, not reported
    run(Math.min(ops, 200), concurrency, i -> names.add(put(vault, payload)));
    run(Math.min(ops, 200), concurrency, i -> rawIds.add(rawPut(connections.get(i % concurrency), owner, payload)));

    System.out.printf(Locale.ROOT, "vault bench: %d-byte documents, %d ops x %d rounds (medians)%n%n", size, ops, rounds);
    var table = new java.util.LinkedHashMap<String, Result>();
    // one client, one owner: latency
    compare("1 client", table, rounds,
        () -> run(ops / 4, 1, i -> names.add(put(vault, payload))),
        () -> run(ops / 4, 1, i -> rawIds.add(rawPut(connections.get(0), owner, payload))),
        () -> run(ops / 4, 1, i -> get(vault, names.get(i % names.size()), size)),
        () -> run(ops / 4, 1, i -> rawGet(connections.get(0), rawIds.get(i % rawIds.size()), size)));
    // many clients, one owner: what one busy owner's calls contend on
    compare(concurrency + " clients, 1 owner", table, rounds,
        () -> run(ops, concurrency, i -> names.add(put(vault, payload))),
        () -> run(ops, concurrency, i -> rawIds.add(rawPut(connections.get(i % concurrency), owner, payload))),
        () -> run(ops, concurrency, i -> get(vault, names.get(i % names.size()), size)),
        () -> run(ops, concurrency, i -> rawGet(connections.get(i % concurrency), rawIds.get(i % rawIds.size()), size)));
    if (adminToken != null) {
      // many clients, one owner each
      List<VaultServiceGrpc.VaultServiceBlockingStub> owners = new ArrayList<>();
      for (int t = 0; t < concurrency; t++) {
        owners.add(vaultAs(channel, newUserToken(channel, adminToken, "bench-owner-" + t)));
      }
      List<List<String>> owned = new ArrayList<>();
      for (int t = 0; t < concurrency; t++) {
        List<String> mine = new CopyOnWriteArrayList<>();
        mine.add(put(owners.get(t), payload));
        owned.add(mine);
      }
      compare(concurrency + " clients, " + concurrency + " owners", table, rounds,
          () -> run(ops, concurrency, i -> owned.get(i % concurrency).add(put(owners.get(i % concurrency), payload))),
          () -> run(ops, concurrency, i -> rawIds.add(rawPut(connections.get(i % concurrency), owner, payload))),
          () -> run(ops, concurrency, i -> {
            List<String> mine = owned.get(i % concurrency);
            get(owners.get(i % concurrency), mine.get(i % mine.size()), size);
          }),
          () -> run(ops, concurrency, i -> rawGet(connections.get(i % concurrency), rawIds.get(i % rawIds.size()), size)));
      itemCountCase(channel, adminToken, connections.get(0), payload, ops, concurrency, rounds, preload);
    }

    System.out.printf(Locale.ROOT, "%-28s %10s %9s %9s%n", "", "ops/s", "p50 ms", "p99 ms");
    table.forEach((k, m) -> System.out.printf(Locale.ROOT, "%-28s %10.0f %9.2f %9.2f%n", k, m.opsPerSecond(), m.p50Millis(), m.p99Millis()));
    System.out.println();
    for (String scenario : table.keySet().stream().filter(k -> k.endsWith(": cairn put")).map(k -> k.substring(0, k.length() - ": cairn put".length())).toList()) {
      for (String op : List.of("put", "get")) {
        Result c = table.get(scenario + ": cairn " + op);
        Result s = table.get(scenario + ": sql " + op);
        System.out.printf(Locale.ROOT, "%-22s %s: cairn/sql throughput %.2fx, p50 %.1fx, p99 %.1fx%n",
            scenario, op, c.opsPerSecond() / s.opsPerSecond(), c.p50Millis() / s.p50Millis(), c.p99Millis() / s.p99Millis());
      }
    }
    try (var s = connections.get(0).createStatement()) {
      s.execute("DROP SCHEMA bench CASCADE");
    }
    for (Connection c : connections) {
      c.close();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @FunctionalInterface
  private interface Measure {
    Result run() throws Exception;
  }

  /** Rounds alternating Cairn and SQL, put then get; medians into {@code table}. */
  private static void compare(String scenario, Map<String, Result> table, int rounds,
      Measure cairnPut, Measure sqlPut, Measure cairnGet, Measure sqlGet) throws Exception {
    var runs = new java.util.LinkedHashMap<String, List<Result>>();
    for (String k : List.of("cairn put", "sql put", "cairn get", "sql get")) {
      runs.put(k, new ArrayList<>());
    }
    for (int r = 0; r < rounds; r++) {
      runs.get("cairn put").add(cairnPut.run());
      runs.get("sql put").add(sqlPut.run());
      runs.get("cairn get").add(cairnGet.run());
      runs.get("sql get").add(sqlGet.run());
    }
    runs.forEach((k, v) -> table.put(scenario + ": " + k,
        new Result(median(v, Result::opsPerSecond), median(v, Result::p50Millis), median(v, Result::p99Millis))));
  }

  /**
   * CreateItem latency for one owner holding about 1,000 items and then about {@code preload}:
   * the rows are copied in by SQL as the database owner (they only need to exist for whatever
   * a create checks against the owner's items), so the case takes seconds, not an hour.
   */
  private static void itemCountCase(ManagedChannel channel, String adminToken, Connection superuser,
      byte[] payload, int ops, int concurrency, int rounds, int preload) throws Exception {
    String token = newUserToken(channel, adminToken, "bench-big-owner");
    var big = vaultAs(channel, token);
    UUID ownerId = UUID.fromString(big.createItem(CreateItemRequest.newBuilder()
        .setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setMediaType("text/plain")
            .setContent(ByteString.copyFromUtf8("seed")))
        .build()).getItem().getOwner().substring("users/".length()));
    System.out.printf(Locale.ROOT, "%-28s %10s %9s %9s%n", "items held -> CreateItem", "ops/s", "p50 ms", "p99 ms");
    for (int target : List.of(1_000, preload)) {
      copyItems(superuser, ownerId, target - heldItems(superuser, ownerId));
      List<Result> results = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        results.add(run(ops, concurrency, i -> put(big, payload)));
      }
      System.out.printf(Locale.ROOT, "%-28s %10.0f %9.2f %9.2f%n", String.format(Locale.ROOT, "%,d items", heldItems(superuser, ownerId)),
          median(results, Result::opsPerSecond), median(results, Result::p50Millis), median(results, Result::p99Millis));
    }
    System.out.println();
  }

  private static long heldItems(Connection c, UUID owner) throws SQLException {
    try (var q = c.prepareStatement("SELECT count(*) FROM cairn.items WHERE owner_id = ?")) {
      q.setObject(1, owner);
      try (var rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Copies one of the owner's item rows {@code n} times under new ids. */
  private static void copyItems(Connection c, UUID owner, long n) throws SQLException {
    if (n <= 0) {
      return;
    }
    try (var q = c.prepareStatement(
        "INSERT INTO cairn.items SELECT (jsonb_populate_record(null::cairn.items, to_jsonb(one)"
            + " || jsonb_build_object('id', gen_random_uuid(), 'create_request_id', null))).*"
            + " FROM (SELECT * FROM cairn.items WHERE owner_id = ? LIMIT 1) one, generate_series(1, ?)")) {
      q.setObject(1, owner);
      q.setLong(2, n);
      q.executeUpdate();
    }
  }

  private static VaultServiceGrpc.VaultServiceBlockingStub vaultAs(ManagedChannel channel, String token) {
    Metadata auth = new Metadata();
    auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return VaultServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
  }

  /** A fresh user (unique name) and a read/write token for it, made with the admin token. */
  private static String newUserToken(ManagedChannel channel, String adminToken, String prefix) {
    Metadata auth = new Metadata();
    auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + adminToken);
    var identity = IdentityServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
    String username = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    User user = identity.createUser(CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername(username)).build()).getUser();
    return identity.createApiToken(CreateApiTokenRequest.newBuilder()
            .setParent(user.getName()).setDisplayName("bench")
            .addScopes(TokenScope.TOKEN_SCOPE_READ).addScopes(TokenScope.TOKEN_SCOPE_WRITE)
            .build())
        .getToken();
  }

  private static String put(VaultServiceGrpc.VaultServiceBlockingStub vault, byte[] payload) {
    return vault.createItem(CreateItemRequest.newBuilder()
            .setItem(Item.newBuilder()
                .setKind(Item.Kind.KIND_DOCUMENT)
                .setDisplayName("bench")
                .setMediaType("application/octet-stream")
                .setContent(ByteString.copyFrom(payload)))
            .build())
        .getItem()
        .getName();
  }

  private static void get(VaultServiceGrpc.VaultServiceBlockingStub vault, String name, int size) {
    var item = vault.getItem(GetItemRequest.newBuilder().setName(name).setView(ItemView.ITEM_VIEW_FULL).build()).getItem();
    if (item.getContent().size() != size) {
      throw new IllegalStateException("short read: " + item.getContent().size());
    }
  }

  private static UUID rawPut(Connection c, UUID owner, byte[] payload) throws SQLException {
    UUID id = UUID.randomUUID();
    try (var q = c.prepareStatement("INSERT INTO bench.raw_items (id, owner_id, body) VALUES (?, ?, ?)")) {
      q.setObject(1, id);
      q.setObject(2, owner);
      q.setBytes(3, payload);
      q.executeUpdate();
    }
    return id;
  }

  private static void rawGet(Connection c, UUID id, int size) throws SQLException {
    try (var q = c.prepareStatement("SELECT body FROM bench.raw_items WHERE id = ?")) {
      q.setObject(1, id);
      try (var rs = q.executeQuery()) {
        if (!rs.next() || rs.getBytes(1).length != size) {
          throw new IllegalStateException("short read");
        }
      }
    }
  }

  /** Runs {@code ops} operations on {@code concurrency} threads (connection i % concurrency). */
  private static Result run(int ops, int concurrency, Op op) throws Exception {
    long[] latencies = new long[ops];
    var next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long start = System.nanoTime();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < concurrency; t++) {
      futures.add(pool.submit(() -> {
        for (int i = next.getAndIncrement(); i < ops; i = next.getAndIncrement()) {
          long s = System.nanoTime();
          op.run(i);
          latencies[i] = System.nanoTime() - s;
        }
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    Arrays.sort(latencies);
    return new Result(ops / seconds, latencies[ops / 2] / 1e6, latencies[(int) (ops * 0.99)] / 1e6);
  }

  private static double median(List<Result> results, java.util.function.ToDoubleFunction<Result> f) {
    List<Double> values = new ArrayList<>(results.stream().map(f::applyAsDouble).toList());
    Collections.sort(values);
    return values.get(values.size() / 2);
  }

  private VaultBench() {}
}
