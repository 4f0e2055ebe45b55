package dev.cairn.server.chat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chat's meters: time to first token (per generator), deltas sent (a rate in Prometheus: deltas/s),
 * answer streams open now, cancellations (by cause), generator errors.
 */
final class ChatMetrics {
  private final MeterRegistry registry;
  private final AtomicInteger activeStreams = new AtomicInteger();
  private final Counter deltas;
  private final Timer retrieval;

  ChatMetrics(MeterRegistry registry, ChatSignals signals) {
    this.registry = registry;
    Gauge.builder("cairn.chat.streams.active", activeStreams, AtomicInteger::get)
        .description("SendMessage and StreamMessage calls streaming an answer now").register(registry);
    Gauge.builder("cairn.chat.generations.active", signals, ChatSignals::activeRuns)
        .description("Answers this replica is generating now").register(registry);
    retrieval = Timer.builder("cairn.chat.retrieval")
        .description("Retrieval before an answer: search, passages read and audited, citations stored")
        .publishPercentileHistogram().register(registry);
    deltas = Counter.builder("cairn.chat.deltas").description("Answer text pieces sent to clients").register(registry);
  }

  void firstToken(String generator, Duration took) {
    Timer.builder("cairn.chat.time_to_first_token")
        .description("From a send reaching the server (authentication included) to its first answer text")
        .tag("generator", generator).publishPercentileHistogram().register(registry).record(took);
  }

  /** Retrieval of one answer: the HYBRID search with the question's vector, the passages read, audited, stored. */
  void retrieval(Duration took) {
    retrieval.record(took);
  }

  /**
   * Wall time of one part of a send before its first token (p50 published, so tools/bench/chat.sh
   * prints where the time to the retrieval event goes): received_to_send (interceptors,
   * authentication), send_tx (the send's transaction), received_to_retrieval, received_to_event.
   */
  void stage(String stage, long nanos) {
    stages.computeIfAbsent(stage, k -> Timer.builder("cairn.chat.stage")
        .description("Wall time from a send reaching the server to a point before its first token, or of one part")
        .tag("stage", k).publishPercentiles(0.5).register(registry)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private final java.util.Map<String, Timer> stages = new java.util.concurrent.ConcurrentHashMap<>();

  void delta() {
    deltas.increment();
  }

  void cancelled(String cause) {
    Counter.builder("cairn.chat.cancellations").description("Answers cancelled, by cause").tag("cause", cause)
        .register(registry).increment();
  }

  void generatorError(String generator) {
    Counter.builder("cairn.chat.generator.errors").description("Generations that failed")
        .tag("generator", generator).register(registry).increment();
  }

  void streamOpened() {
    activeStreams.incrementAndGet();
  }

  void streamClosed() {
    activeStreams.decrementAndGet();
  }
}
