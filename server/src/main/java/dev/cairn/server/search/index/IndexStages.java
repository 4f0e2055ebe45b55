package dev.cairn.server.search.index;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Where an index job's time goes, {@code cairn.search.index.stage{stage}}: reading the item and
 * its content, extracting and chunking, embedding (waiting for the batcher included) and writing
 * the chunks. Their sums against {@code cairn.jobs.run} show what is not the model.
 */
final class IndexStages {
  static final String READ = "read";
  static final String EXTRACT = "extract";
  static final String EMBED = "embed";
  static final String WRITE = "write";

  private final Timer read;
  private final Timer extract;
  private final Timer embed;
  private final Timer write;

  IndexStages(MeterRegistry metrics) {
    read = timer(metrics, READ);
    extract = timer(metrics, EXTRACT);
    embed = timer(metrics, EMBED);
    write = timer(metrics, WRITE);
  }

  private static Timer timer(MeterRegistry metrics, String stage) {
    return Timer.builder("cairn.search.index.stage").description("time of one stage of the index job")
        .tag("stage", stage).register(metrics);
  }

  /** Records the time since {@code startedNanos} under {@code stage}; returns now, the next stage's start. */
  long record(String stage, long startedNanos) {
    long now = System.nanoTime();
    Timer timer = switch (stage) {
      case READ -> read;
      case EXTRACT -> extract;
      case EMBED -> embed;
      case WRITE -> write;
      default -> throw new IllegalArgumentException("stage: " + stage);
    };
    timer.record(Duration.ofNanos(now - startedNanos));
    return now;
  }
}
