package dev.cairn.server.search;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cairn.server.core.Futures;
import dev.cairn.server.search.embed.Embedder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.text.Normalizer;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

/**
 * Query vectors, computed once per (user, model, normalised text) and kept a while, because
 * embedding a query is most of a search's time and people repeat and refine their searches.
 *
 * <p>Entries are never shared between users: a shared entry would make user B's search of A's
 * words measurably faster, telling B what A searched. The cache holds only vectors, never
 * results, so rights, deletions and revocations are judged afresh in SQL on every search.
 *
 * <p>Computations run on virtual threads, so a caller may start one early ({@link #prefetch})
 * and overlap it with database work; concurrent asks for one key share one computation, and a
 * failed one is dropped, not cached.
 */
public final class QueryEmbeddings {
  private static final Pattern SPACES = Pattern.compile("\\s+");
  private static final Executor VIRTUAL = Executors.newVirtualThreadPerTaskExecutor();

  private record Key(UUID user, String model, String text) {}

  private final Embedder embedder;
  private final AsyncCache<Key, float[]> cache;
  private final Counter hits;
  private final Counter misses;
  private final Timer embedding;
  private final io.opentelemetry.api.trace.Tracer tracer;

  /** {@code maxEntries} 0 turns caching off: every ask embeds (still on a virtual thread). */
  public QueryEmbeddings(Embedder embedder, int maxEntries, Duration ttl, MeterRegistry metrics) {
    this(embedder, maxEntries, ttl, metrics, io.opentelemetry.api.OpenTelemetry.noop().getTracer("cairn"));
  }

  /** As above, each model run an "embed query" span under the span that asked for it. */
  public QueryEmbeddings(Embedder embedder, int maxEntries, Duration ttl, MeterRegistry metrics,
      io.opentelemetry.api.trace.Tracer tracer) {
    this.tracer = requireNonNull(tracer, "tracer");
    this.embedder = requireNonNull(embedder, "embedder");
    if (maxEntries < 0) {
      throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: 0 or more)");
    }
    this.cache = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(ttl).executor(VIRTUAL).buildAsync();
    this.hits = lookups(metrics, "hit");
    this.misses = lookups(metrics, "miss");
    this.embedding = Timer.builder("cairn.search.query.embedding")
        .description("Embedding a search query with the model (cache misses only)")
        .publishPercentileHistogram().register(metrics);
    Gauge.builder("cairn.search.query.cache.size", cache, c -> c.synchronous().estimatedSize())
        .description("query vectors held").register(metrics);
  }

  private static Counter lookups(MeterRegistry metrics, String result) {
    return Counter.builder("cairn.search.query.cache.lookups").description("query vector lookups, by result")
        .tag("result", result).register(metrics);
  }

  /**
   * The query's vector, started now if nobody has: the future completes on a virtual thread.
   * Bad input (blank) fails the future with the embedder's INVALID_ARGUMENT.
   */
  public CompletableFuture<float[]> start(UUID user, String query) {
    Key key = new Key(requireNonNull(user, "user"), embedder.modelId(), normalise(query));
    // Caffeine drops a failed future from a dependent action that may run after the asker of
    // that future has already woken and retried: drop it here first, so a retry computes again
    CompletableFuture<float[]> present = cache.getIfPresent(key);
    if (present != null && present.isCompletedExceptionally()) {
      cache.asMap().remove(key, present);
    }
    boolean[] computed = {false};
    CompletableFuture<float[]> future = cache.get(key, (k, executor) -> {
      computed[0] = true;
      // the asker's trace context crosses to the virtual thread, so the model run is its child
      io.opentelemetry.context.Context parent = io.opentelemetry.context.Context.current();
      return CompletableFuture.supplyAsync(() -> embedding.record(() -> embedTraced(parent, k.text())), VIRTUAL);
    });
    (computed[0] ? misses : hits).increment();
    return future;
  }

  private float[] embedTraced(io.opentelemetry.context.Context parent, String text) {
    io.opentelemetry.api.trace.Span span = tracer.spanBuilder("embed query").setParent(parent)
        .setAttribute("cairn.embedder", embedder.modelId()).startSpan();
    try (io.opentelemetry.context.Scope ignored = span.makeCurrent()) {
      return embedder.embedQuery(text);
    } finally {
      span.end();
    }
  }

  /** The query's vector, waiting for it; the embedder's exceptions come out as they were thrown. */
  public float[] get(UUID user, String query) {
    return join(start(user, query));
  }

  /** Waits for a vector started by {@link #start}, rethrowing what the embedder threw. */
  static float[] join(CompletableFuture<float[]> future) {
    // an interrupt leaves the computation to finish: other callers may share it
    return Futures.await(future, "the query was embedded");
  }

  /**
   * The cache's view of a query: NFC, whitespace runs as one space, trimmed. The BERT tokenizers
   * the shipped models use split on whitespace, so these forms embed identically; case is kept,
   * since a remote model may be cased.
   */
  static String normalise(String query) {
    return SPACES.matcher(Normalizer.normalize(query, Normalizer.Form.NFC)).replaceAll(" ").strip();
  }
}
