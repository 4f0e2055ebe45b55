package dev.cairn.server.search.embed;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Futures;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica's passage embedding, shared by all its index jobs: each job's passages wait in one
 * bounded queue, and a single runner thread takes up to {@code maxBatch} of them across jobs per
 * model call (the model sorts them by length and pads each of its batches to the longest). An
 * item gives about two chunks, so one call per item wasted most of what batching saves; and one
 * run at a time, with the model's threads sized to the cores, keeps concurrent jobs from each
 * starting a core's worth of model threads.
 *
 * <p>Queries take their own path: {@link #embedQuery} calls the model on the caller's thread at
 * once (the session is thread-safe), so a search never waits behind queued ingestion, only
 * shares the CPU with the one batch running, which {@code maxBatch} keeps short.
 *
 * <p>A job {@link #announce announces} itself before it reads and chunks its item; while announced
 * jobs have not submitted yet and the batch is not full, the runner waits for them a bounded
 * {@code linger}. Without it, jobs settled into two halves taking turns (one half's batch ran
 * while the other half wrote and read), so the model saw batches of about a quarter of the jobs'
 * passages; with it, a job that is a few milliseconds from submitting rides in the batch that
 * is about to start instead of the next one. Nobody announced: no wait.
 *
 * <p>A full queue blocks the submitting job (back-pressure on the job worker, never an unbounded
 * heap). A failed model call is retried once per job, so one bad submission fails only its own
 * job. {@link #close} stops taking work, lets the queue drain within a bound and fails what is
 * left; it does not close the model, whose owner closes it afterwards.
 */
public final class BatchingEmbedder extends ForwardingEmbedder {
  private static final Logger log = LoggerFactory.getLogger(BatchingEmbedder.class);
  private static final long WAIT_SLICE_MILLIS = 50;
  private static final long LINGER_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** One job's passages (at most maxBatch), and where their vectors go. */
  private record Request(List<String> passages, CompletableFuture<float[][]> result, long queuedNanos) {}

  private final int maxBatch;
  private final Duration drain;
  private final Semaphore room;
  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicInteger coming = new AtomicInteger();
  private final long lingerNanos;
  private final Thread runner;
  private final DistributionSummary batchPassages;
  private final Timer batchRun;
  private final Timer queueWait;
  private volatile boolean closed;
  /** A request taken off the queue while lingering that did not fit: the next batch's first (runner only). */
  private @Nullable Request pushedBack;
  private volatile boolean abandon;

  /**
   * @param maxBatch passages per model call at most
   * @param queuePassages passages that may wait at once; a submission beyond that blocks
   * @param drain how long {@link #close} lets queued work finish before failing the rest
   */
  public BatchingEmbedder(Embedder model, int maxBatch, int queuePassages, Duration drain, MeterRegistry metrics) {
    this(model, maxBatch, queuePassages, drain, DEFAULT_LINGER, metrics);
  }

  /**
   * How long a batch that is not full waits for announced jobs: a few reads and chunkings of a
   * small item, against a model call of a full batch that takes hundreds of milliseconds.
   */
  public static final Duration DEFAULT_LINGER = Duration.ofMillis(25);

  /** As above; {@code linger} bounds how long a batch waits for announced jobs (zero: never). */
  public BatchingEmbedder(Embedder model, int maxBatch, int queuePassages, Duration drain, Duration linger,
      MeterRegistry metrics) {
    super(model);
    if (linger.isNegative() || linger.compareTo(Duration.ofSeconds(1)) > 0) {
      throw new IllegalArgumentException("linger: " + linger + " (expected: 0..1s)");
    }
    this.lingerNanos = linger.toNanos();
    if (maxBatch < 1 || maxBatch > EmbedderSettings.MAX_BATCH_SIZE) {
      throw new IllegalArgumentException("maxBatch: " + maxBatch + " (expected: 1.." + EmbedderSettings.MAX_BATCH_SIZE + ")");
    }
    if (queuePassages < maxBatch) {
      throw new IllegalArgumentException("queuePassages: " + queuePassages + " (expected: at least maxBatch, " + maxBatch + ")");
    }
    this.maxBatch = maxBatch;
    this.drain = requireNonNull(drain, "drain");
    this.room = new Semaphore(queuePassages);
    this.batchPassages = DistributionSummary.builder("cairn.search.embed.batch.passages")
        .description("passages per model call of the ingestion batcher").register(metrics);
    this.batchRun = Timer.builder("cairn.search.embed.batch.run")
        .description("one model call of the ingestion batcher").register(metrics);
    this.queueWait = Timer.builder("cairn.search.embed.queue.wait")
        .description("how long a job's passages waited for their model call to start").register(metrics);
    Gauge.builder("cairn.search.embed.queue.passages", waiting, AtomicInteger::get)
        .description("passages waiting for the ingestion batcher").register(metrics);
    // a platform thread: a model call is one long native call, which would pin a virtual thread's carrier
    this.runner = Thread.ofPlatform().daemon().name("cairn-embed-batcher").start(this::run);
  }

  /**
   * A job's word that it will submit passages soon. Closing it (at once when the job submits
   * through {@link #embedPassages(List, Announcement)}, or when it ends without submitting) withdraws it.
   */
  public final class Announcement implements AutoCloseable {
    private final java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);

    private Announcement() {
      coming.incrementAndGet();
    }

    @Override
    public void close() {
      if (open.compareAndSet(true, false)) {
        coming.decrementAndGet();
      }
    }
  }

  /** Announces a job that is about to read and chunk an item and then submit its passages. */
  public Announcement announce() {
    return new Announcement();
  }

  /**
   * As {@link #embedPassages(List)}, for a job that {@link #announce announced} itself: the
   * announcement ends as soon as the passages are queued (not when their vectors come back).
   */
  public float[][] embedPassages(List<String> passages, Announcement announced) {
    CompletableFuture<float[][]> future;
    try {
      future = submit(passages);
    } finally {
      announced.close();
    }
    return await(future);
  }

  /**
   * The passages' vectors, in order, once their model calls have run. Bad input fails at once
   * (INVALID_ARGUMENT); a model failure fails the future with its {@link EmbeddingException}.
   * Blocks while the queue is full.
   */
  public CompletableFuture<float[][]> submit(List<String> passages) {
    List<String> cleaned = Inputs.passages(passages, model.maxTokens() * OnnxEmbedder.CHARS_PER_TOKEN_CAP);
    if (cleaned.isEmpty()) {
      return CompletableFuture.completedFuture(new float[0][]);
    }
    List<CompletableFuture<float[][]>> parts = new ArrayList<>();
    for (int from = 0; from < cleaned.size(); from += maxBatch) {
      parts.add(enqueue(cleaned.subList(from, Math.min(cleaned.size(), from + maxBatch))));
    }
    return parts.size() == 1 ? parts.get(0) : concat(parts);
  }

  private CompletableFuture<float[][]> enqueue(List<String> part) {
    try {
      while (!room.tryAcquire(part.size(), WAIT_SLICE_MILLIS, TimeUnit.MILLISECONDS)) {
        requireOpen();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CairnException.cancelled("interrupted while waiting for room in the embedding queue");
    }
    if (closed) {
      room.release(part.size());
      requireOpen();
    }
    Request request = new Request(List.copyOf(part), new CompletableFuture<>(), System.nanoTime());
    waiting.addAndGet(part.size());
    queue.add(request);
    return request.result();
  }

  private static CompletableFuture<float[][]> concat(List<CompletableFuture<float[][]>> parts) {
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
      List<float[]> all = new ArrayList<>();
      for (CompletableFuture<float[][]> part : parts) {
        all.addAll(List.of(part.join()));
      }
      return all.toArray(float[][]::new);
    });
  }

  /** Waits for {@link #submit}'s vectors; an interrupt withdraws the passages not yet run. */
  @Override
  public float[][] embedPassages(List<String> passages) {
    return await(submit(passages));
  }

  private static float[][] await(CompletableFuture<float[][]> future) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw Futures.rethrown(e.getCause(), cause -> new EmbeddingException("embedding failed", true, cause));
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      throw CairnException.cancelled("interrupted while the passages were embedded");
    }
  }

  private void run() {
    try {
      while (!(closed && queue.isEmpty() && pushedBack == null)) {
        @Nullable Request first = pushedBack != null ? pushedBack : queue.poll(WAIT_SLICE_MILLIS, TimeUnit.MILLISECONDS);
        pushedBack = null;
        if (first != null) {
          runBatch(takeBatch(first));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      failQueued();
    }
  }

  /**
   * {@code first} and the requests behind it, up to maxBatch passages (only this thread takes);
   * while it is not full and announced jobs have yet to submit, it waits up to the linger for them.
   */
  private List<Request> takeBatch(Request first) {
    List<Request> batch = new ArrayList<>();
    int passages = 0;
    long lingerUntil = System.nanoTime() + lingerNanos;
    @Nullable Request next = first;
    while (next != null) {
      int n = next.passages().size();
      waiting.addAndGet(-n);
      room.release(n);
      if (!next.result().isDone()) { // done: withdrawn by an interrupted job
        batch.add(next);
        passages += n;
      }
      next = nextFitting(passages, lingerUntil);
    }
    return batch;
  }

  /** The next queued request if it fits beside {@code passages}, waiting for announced jobs until {@code until}. */
  private @Nullable Request nextFitting(int passages, long until) {
    while (true) {
      @Nullable Request peeked = queue.peek();
      if (peeked != null) {
        return passages + peeked.passages().size() <= maxBatch ? queue.poll() : null;
      }
      long left = until - System.nanoTime();
      if (passages >= maxBatch || coming.get() == 0 || left <= 0 || closed) {
        return null;
      }
      // short slices: an announced job that ends without submitting stops the wait soon
      @Nullable Request arrived;
      try {
        arrived = queue.poll(Math.min(left, LINGER_SLICE_NANOS), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the batch taken so far still runs; the loop then stops
        return null;
      }
      if (arrived != null) {
        if (passages + arrived.passages().size() <= maxBatch) {
          return arrived;
        }
        pushedBack = arrived; // too big for this batch: it starts the next one
        return null;
      }
    }
  }

  private void runBatch(List<Request> batch) {
    if (batch.isEmpty()) {
      return;
    }
    if (abandon) {
      batch.forEach(r -> r.result().completeExceptionally(shuttingDown()));
      return;
    }
    long now = System.nanoTime();
    List<String> texts = new ArrayList<>();
    for (Request r : batch) {
      queueWait.record(Duration.ofNanos(now - r.queuedNanos()));
      texts.addAll(r.passages());
    }
    try {
      float[][] vectors = timed(texts);
      int at = 0;
      for (Request r : batch) {
        float[][] mine = new float[r.passages().size()][];
        System.arraycopy(vectors, at, mine, 0, mine.length);
        at += mine.length;
        r.result().complete(mine);
      }
    } catch (RuntimeException | Error e) {
      if (batch.size() == 1) {
        batch.get(0).result().completeExceptionally(e);
      } else {
        log.warn("a batch of {} passages from {} jobs failed; running each job's alone", texts.size(), batch.size(), e);
        batch.forEach(this::runAlone);
      }
    }
  }

  private void runAlone(Request request) {
    try {
      request.result().complete(timed(request.passages()));
    } catch (RuntimeException | Error e) {
      request.result().completeExceptionally(e);
    }
  }

  private float[][] timed(List<String> texts) {
    long started = System.nanoTime();
    try {
      return model.embedPassages(texts);
    } finally {
      batchRun.record(Duration.ofNanos(System.nanoTime() - started));
      batchPassages.record(texts.size());
    }
  }

  private void failQueued() {
    @Nullable Request held = pushedBack;
    if (held != null && Thread.currentThread() == runner) {
      pushedBack = null;
      held.result().completeExceptionally(shuttingDown());
    }
    for (Request r; (r = queue.poll()) != null; ) {
      waiting.addAndGet(-r.passages().size());
      room.release(r.passages().size());
      r.result().completeExceptionally(shuttingDown());
    }
  }

  private static EmbeddingException shuttingDown() {
    return new EmbeddingException("the embedding batcher shut down before these passages ran", true);
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("embedding batcher of " + model.modelId() + " is closed");
    }
  }

  /** The most passages one model call takes. */
  public int maxBatch() {
    return maxBatch;
  }

  /**
   * Stops taking submissions, lets queued passages run for up to the drain bound, then fails the
   * rest (retryable: their jobs run again). The model stays open.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      runner.join(drain);
      if (runner.isAlive()) {
        log.warn("embedding batcher still busy after {}; failing its queued passages", drain);
        abandon = true;
        failQueued();
        runner.join(Duration.ofSeconds(5));
      }
    } catch (InterruptedException e) {
      abandon = true;
      failQueued();
      Thread.currentThread().interrupt();
    }
  }
}
