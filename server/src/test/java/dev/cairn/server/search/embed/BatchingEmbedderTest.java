package dev.cairn.server.search.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.CairnException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ingestion batcher in front of the real model (bge-small-en-v1.5). A gate between the two
 * records each model call and can hold one (so that work piles up behind it, as it does behind a
 * long batch) or fail one that carries a poisoned passage.
 */
class BatchingEmbedderTest {
  private static OnnxEmbedder bge;

  @BeforeAll
  static void load() {
    bge = OnnxEmbedder.open(EmbedderSettings.defaults(OnnxModel.BGE_SMALL_EN_V15_Q));
  }

  @AfterAll
  static void close() {
    bge.close();
  }

  /** The model, seen through a gate: each passage call is recorded, may be held, fails on "poison". */
  private static final class Gate extends ForwardingEmbedder {
    final List<List<String>> calls = new CopyOnWriteArrayList<>();
    final Semaphore open = new Semaphore(Integer.MAX_VALUE);
    final CountDownLatch entered = new CountDownLatch(1);

    Gate() {
      super(bge);
    }

    void hold() {
      open.drainPermits();
    }

    void release() {
      open.release(Integer.MAX_VALUE / 2);
    }

    @Override
    public float[][] embedPassages(List<String> passages) {
      calls.add(List.copyOf(passages));
      entered.countDown();
      open.acquireUninterruptibly();
      open.release();
      if (passages.stream().anyMatch(p -> p.contains("poison"))) {
        throw new EmbeddingException("the model failed on a poisoned passage", false);
      }
      return bge.embedPassages(passages);
    }
  }

  private static BatchingEmbedder batcher(Gate gate, int maxBatch, int queue, Duration drain) {
    return new BatchingEmbedder(gate, maxBatch, queue, drain, new SimpleMeterRegistry());
  }

  /** Holds the runner in a first call, so that later submissions queue behind it. */
  private static CompletableFuture<float[][]> occupy(Gate gate, BatchingEmbedder batcher) throws InterruptedException {
    gate.hold();
    CompletableFuture<float[][]> first = batcher.submit(List.of("A first passage that keeps the model busy."));
    assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
    return first;
  }

  private static List<String> job(int n) {
    return List.of("Job " + n + " studies insulin and blood glucose in mice.",
        "Job " + n + " found that the effect lasted " + n + " weeks.");
  }

  @Test
  void passagesOfConcurrentJobsRunInOneModelCallAndComeBackToTheirJob() throws Exception {
    Gate gate = new Gate();
    try (BatchingEmbedder batcher = batcher(gate, 32, 1024, Duration.ofSeconds(10))) {
      CompletableFuture<float[][]> first = occupy(gate, batcher);
      List<CompletableFuture<float[][]>> jobs = new ArrayList<>();
      for (int n = 0; n < 5; n++) {
        jobs.add(batcher.submit(job(n)));
      }
      gate.release();

      first.get(60, TimeUnit.SECONDS);
      // the first call's future completes before the runner takes the next batch: wait for the jobs
      CompletableFuture.allOf(jobs.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      assertThat(gate.calls).hasSize(2);
      assertThat(gate.calls.get(1)).hasSize(10);
      for (int n = 0; n < 5; n++) {
        float[][] together = jobs.get(n).get(60, TimeUnit.SECONDS);
        float[][] alone = bge.embedPassages(job(n));
        assertThat(together).hasDimensions(2, 384);
        for (int i = 0; i < 2; i++) {
          // dynamic quantization lets batch neighbours move a vector a little, never far
          assertThat(dot(together[i], alone[i])).isGreaterThan(0.99);
        }
      }
    }
  }

  @Test
  void aBatchWaitsForAnAnnouncedJobSoItsPassagesRideInTheSameModelCall() throws Exception {
    Gate gate = new Gate();
    var registry = new SimpleMeterRegistry();
    try (BatchingEmbedder batcher = new BatchingEmbedder(gate, 32, 1024, Duration.ofSeconds(10), Duration.ofSeconds(1),
        registry)) {
      BatchingEmbedder.Announcement reading = batcher.announce();
      CompletableFuture<float[][]> early = batcher.submit(job(1));
      // the runner has taken the early job's passages off the queue and not called the model
      awaitTrue(() -> registry.get("cairn.search.embed.queue.passages").gauge().value() == 0);
      assertThat(gate.calls).isEmpty();

      float[][] late = batcher.embedPassages(job(2), reading);

      assertThat(early.get(60, TimeUnit.SECONDS)).hasDimensions(2, 384);
      assertThat(late).hasDimensions(2, 384);
      assertThat(gate.calls).hasSize(1);
      assertThat(gate.calls.get(0)).hasSize(4);
    }
  }

  @Test
  void aBatchStopsWaitingAsSoonAsTheAnnouncedJobEndsWithoutSubmitting() throws Exception {
    Gate gate = new Gate();
    try (BatchingEmbedder batcher = new BatchingEmbedder(gate, 32, 1024, Duration.ofSeconds(10), Duration.ofSeconds(1),
        new SimpleMeterRegistry())) {
      BatchingEmbedder.Announcement reading = batcher.announce();
      CompletableFuture<float[][]> early = batcher.submit(job(1));
      reading.close(); // its item was up to date: nothing to embed

      // far sooner than the one-second linger: the model is called once nobody is coming
      assertThat(gate.entered.await(700, TimeUnit.MILLISECONDS)).isTrue();
      assertThat(early.get(60, TimeUnit.SECONDS)).hasDimensions(2, 384);
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 30 s").isLessThan(deadline);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  @Test
  void aLargeSubmissionIsCutIntoBatchesAndKeepsItsOrder() throws Exception {
    Gate gate = new Gate();
    List<String> passages = List.of(
        "Insulin lowers blood glucose.",
        "The Eiffel Tower was completed in 1889 for the World's Fair in Paris, and it is 330 metres tall.",
        "Photosynthesis turns light into chemical energy.",
        "Bach wrote the Brandenburg Concertos, six instrumental works presented to a margrave in 1721.",
        "Volcanoes erupt when magma rises.",
        "The offside rule in football keeps attackers from waiting behind the last defender for a long pass.",
        "Penguins live in the southern hemisphere.",
        "A compiler translates source code into machine code that a processor can execute directly.",
        "Tea is made from the leaves of Camellia sinensis.");
    try (BatchingEmbedder batcher = batcher(gate, 4, 16, Duration.ofSeconds(10))) {
      float[][] vectors = batcher.embedPassages(passages);

      assertThat(gate.calls).hasSize(3).allSatisfy(call -> assertThat(call).hasSizeLessThanOrEqualTo(4));
      float[][] alone = bge.embedPassages(passages);
      for (int i = 0; i < passages.size(); i++) {
        int nearest = 0;
        for (int j = 1; j < passages.size(); j++) {
          nearest = dot(vectors[i], alone[j]) > dot(vectors[i], alone[nearest]) ? j : nearest;
        }
        assertThat(nearest).as("the passage vector %d came back as", i).isEqualTo(i);
      }
    }
  }

  @Test
  void aJobWhosePassagesBreakTheModelFailsAloneInASharedBatch() throws Exception {
    Gate gate = new Gate();
    try (BatchingEmbedder batcher = batcher(gate, 32, 1024, Duration.ofSeconds(10))) {
      CompletableFuture<float[][]> first = occupy(gate, batcher);
      CompletableFuture<float[][]> good = batcher.submit(job(1));
      CompletableFuture<float[][]> bad = batcher.submit(List.of("a poison passage", "and its neighbour"));
      CompletableFuture<float[][]> alsoGood = batcher.submit(job(2));
      gate.release();

      first.get(60, TimeUnit.SECONDS);
      assertThat(good.get(60, TimeUnit.SECONDS)).hasDimensions(2, 384);
      assertThat(alsoGood.get(60, TimeUnit.SECONDS)).hasDimensions(2, 384);
      assertThatThrownBy(() -> bad.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(EmbeddingException.class);
    }
  }

  @Test
  void aQueryIsAnsweredWhileAnIngestionBatchHoldsTheBatcher() throws Exception {
    Gate gate = new Gate();
    try (BatchingEmbedder batcher = batcher(gate, 32, 1024, Duration.ofSeconds(10))) {
      CompletableFuture<float[][]> first = occupy(gate, batcher);
      CompletableFuture<float[][]> queued = batcher.submit(job(1));

      CompletableFuture<float[]> query = CompletableFuture.supplyAsync(() -> batcher.embedQuery("insulin in mice"));

      assertThat(query.get(60, TimeUnit.SECONDS)).hasSize(384);
      assertThat(first).isNotDone();
      assertThat(queued).isNotDone();
      gate.release();
      assertThat(queued.get(60, TimeUnit.SECONDS)).hasDimensions(2, 384);
    }
  }

  @Test
  void aFullQueueMakesTheSubmittingJobWaitUntilThereIsRoom() throws Exception {
    Gate gate = new Gate();
    try (BatchingEmbedder batcher = batcher(gate, 2, 2, Duration.ofSeconds(10))) {
      CompletableFuture<float[][]> first = occupy(gate, batcher);
      CompletableFuture<float[][]> fills = batcher.submit(job(1)); // the queue's two passages
      CompletableFuture<CompletableFuture<float[][]>> waiting = new CompletableFuture<>();
      Thread submitter = Thread.ofVirtual().start(() -> waiting.complete(batcher.submit(job(2))));

      awaitState(submitter, Thread.State.TIMED_WAITING);
      assertThat(waiting).isNotDone();
      gate.release();

      first.get(60, TimeUnit.SECONDS);
      assertThat(fills.get(60, TimeUnit.SECONDS)).hasDimensions(2, 384);
      assertThat(waiting.get(60, TimeUnit.SECONDS).get(60, TimeUnit.SECONDS)).hasDimensions(2, 384);
    }
  }

  @Test
  void closeRunsWhatIsQueuedAndRefusesNewPassages() throws Exception {
    Gate gate = new Gate();
    BatchingEmbedder batcher = batcher(gate, 32, 1024, Duration.ofSeconds(30));
    CompletableFuture<float[][]> first = occupy(gate, batcher);
    CompletableFuture<float[][]> queued = batcher.submit(job(1));
    Thread closer = Thread.ofVirtual().start(batcher::close);
    awaitState(closer, Thread.State.TIMED_WAITING);

    assertThatThrownBy(() -> batcher.submit(job(2))).isInstanceOf(IllegalStateException.class);
    gate.release();
    closer.join(Duration.ofSeconds(60));

    assertThat(first.get(1, TimeUnit.SECONDS)).hasDimensions(1, 384);
    assertThat(queued.get(1, TimeUnit.SECONDS)).hasDimensions(2, 384);
  }

  @Test
  void closeFailsQueuedPassagesRetryablyWhenTheDrainBoundPasses() throws Exception {
    Gate gate = new Gate();
    BatchingEmbedder batcher = batcher(gate, 32, 1024, Duration.ofMillis(200));
    CompletableFuture<float[][]> first = occupy(gate, batcher);
    CompletableFuture<float[][]> queued = batcher.submit(job(1));

    batcher.close();

    assertThatThrownBy(() -> queued.get(1, TimeUnit.SECONDS)).hasCauseInstanceOf(EmbeddingException.class)
        .cause().satisfies(e -> assertThat(((EmbeddingException) e).retryable()).isTrue());
    gate.release();
    assertThat(first.get(60, TimeUnit.SECONDS)).hasDimensions(1, 384);
  }

  @Test
  void aBlankPassageIsRefusedAtOnceAndNeverReachesTheModel() {
    Gate gate = new Gate();
    try (BatchingEmbedder batcher = batcher(gate, 32, 1024, Duration.ofSeconds(10))) {
      assertThatThrownBy(() -> batcher.submit(List.of("fine", "  ")))
          .isInstanceOfSatisfying(CairnException.class,
              e -> assertThat(e.kind()).isEqualTo(CairnException.Kind.INVALID_ARGUMENT))
          .hasMessageContaining("passages[1]");
      assertThat(gate.calls).isEmpty();
    }
  }

  /** Polls (with a deadline) until {@code thread} blocks in the state expected. */
  private static void awaitState(Thread thread, Thread.State state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (thread.getState() != state) {
      assertThat(System.nanoTime()).as("thread reaches " + state).isLessThan(deadline);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }
}
