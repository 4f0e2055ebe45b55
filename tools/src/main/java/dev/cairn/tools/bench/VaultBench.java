package dev.cairn.tools.bench;

import com.google.protobuf.ByteString;
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
    Map<String, String> opts = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String target = opts.getOrDefault("target", "127.0.0.1:50051");
    String token = require(opts, "token");
    String jdbc = require(opts, "jdbc");
    int size = Integer.parseInt(opts.getOrDefault("size", "4096"));
    int ops = Integer.parseInt(opts.getOrDefault("ops", "2000"));
    int concurrency = Integer.parseInt(opts.getOrDefault("concurrency", "8"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));

    byte[] payload = new byte[size];
    new Random(42).nextBytes(payload);
    ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
    Metadata auth = new Metadata();
    auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    var vault = VaultServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));

    List<Connection> connections = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      Connection c = DriverManager.getConnection(jdbc, opts.getOrDefault("jdbc-user", "postgres"), opts.getOrDefault("jdbc-password", ""));
      c.setAutoCommit(true);
      connections.add(c);
    }
    try (var s = connections.get(0).createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS bench");
      s.execute("CREATE TABLE IF NOT EXISTS bench.raw_items (id uuid PRIMARY KEY, owner_id uuid NOT NULL, body bytea NOT NULL)");
    }
    UUID owner = UUID.randomUUID();

    var results = new java.util.LinkedHashMap<String, List<Result>>();
    for (String k : List.of("cairn put", "sql put", "cairn get", "sql get")) {
      results.put(k, new ArrayList<>());
    }
    // warm-up, not reported
    List<String> names = new CopyOnWriteArrayList<>();
    List<UUID> rawIds = new CopyOnWriteArrayList<>();
    run(Math.min(ops, 200), concurrency, i -> names.add(put(vault, payload)));
    run(Math.min(ops, 200), concurrency, i -> rawIds.add(rawPut(connections.get(i % concurrency), owner, payload)));

    for (int r = 0; r < rounds; r++) {
      results.get("cairn put").add(run(ops, concurrency, i -> names.add(put(vault, payload))));
      results.get("sql put").add(run(ops, concurrency, i -> rawIds.add(rawPut(connections.get(i % concurrency), owner, payload))));
      results.get("cairn get").add(run(ops, concurrency, i -> get(vault, names.get(i % names.size()), size)));
      results.get("sql get").add(run(ops, concurrency, i -> rawGet(connections.get(i % concurrency), rawIds.get(i % rawIds.size()), size)));
    }

    System.out.printf(Locale.ROOT, "vault bench: %d-byte documents, %d ops x %d rounds, concurrency %d%n", size, ops, rounds, concurrency);
    System.out.printf(Locale.ROOT, "%-10s %12s %10s %10s%n", "", "ops/s", "p50 ms", "p99 ms");
    var medians = new java.util.LinkedHashMap<String, Result>();
    results.forEach((k, v) -> {
      Result m = new Result(median(v, Result::opsPerSecond), median(v, Result::p50Millis), median(v, Result::p99Millis));
      medians.put(k, m);
      System.out.printf(Locale.ROOT, "%-10s %12.0f %10.2f %10.2f%n", k, m.opsPerSecond(), m.p50Millis(), m.p99Millis());
    });
    for (String op : List.of("put", "get")) {
      Result c = medians.get("cairn " + op);
      Result s = medians.get("sql " + op);
      System.out.printf(Locale.ROOT, "%s: cairn/sql throughput %.2fx, p50 %.1fx, p99 %.1fx%n",
          op, c.opsPerSecond() / s.opsPerSecond(), c.p50Millis() / s.p50Millis(), c.p99Millis() / s.p99Millis());
    }
    try (var s = connections.get(0).createStatement()) {
      s.execute("DROP SCHEMA bench CASCADE");
    }
    for (Connection c : connections) {
      c.close();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
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

  private static String require(Map<String, String> opts, String key) {
    String v = opts.get(key);
    if (v == null) {
      System.err.println("missing --" + key);
      System.exit(2);
    }
    return v;
  }

  private VaultBench() {}
}
