package dev.cairn.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A job's span as a tracing UI shows it: its own trace, linked to the span that enqueued it, on
 * every attempt (the link is stored with the job, so it survives retries and other replicas).
 */
class JobSpanLinkTest {
  private final JobsFixture jobs = new JobsFixture();
  private final UUID owner = JobsFixture.newUser();
  private final InMemorySpanExporter exported = InMemorySpanExporter.create();
  private final SdkTracerProvider provider =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exported)).build();
  private final Tracer tracer = provider.get("test");

  @AfterEach
  void close() {
    jobs.close();
    provider.close();
  }

  private JobWorker worker(JobHandler handler) {
    return new JobWorker(jobs.queue, List.of(handler), JobsFixture.settings(2), new SimpleMeterRegistry(),
        new Random(1), tracer);
  }

  /** Enqueues one job while a span (standing in for the RPC's) is current; returns that span's context. */
  private SpanContext enqueueUnder(String spanName) {
    Span request = tracer.spanBuilder(spanName).startSpan();
    try (Scope ignored = request.makeCurrent()) {
      jobs.enqueue(owner, jobs.job(owner));
      return request.getSpanContext();
    } finally {
      request.end();
    }
  }

  private List<SpanData> jobSpans() {
    return exported.getFinishedSpanItems().stream().filter(s -> s.getName().equals("job " + jobs.kind)).toList();
  }

  @Test
  void jobSpanStartsItsOwnTraceLinkedToTheSpanThatEnqueuedIt() {
    SpanContext request = enqueueUnder("Recv.cairn.vault.v1.VaultService.CreateItem");

    assertThat(worker(JobHandler.of(jobs.kind, job -> {})).runDue()).isEqualTo(1);

    SpanData job = jobSpans().getFirst();
    assertThat(job.getParentSpanContext().isValid()).as("a root span").isFalse();
    assertThat(job.getTraceId()).as("a trace of its own").isNotEqualTo(request.getTraceId());
    assertThat(job.getLinks()).extracting(LinkData::getSpanContext)
        .singleElement()
        .satisfies(link -> {
          assertThat(link.getTraceId()).isEqualTo(request.getTraceId());
          assertThat(link.getSpanId()).isEqualTo(request.getSpanId());
          assertThat(link.isSampled()).isTrue();
        });
  }

  @Test
  void retriedAttemptLinksToTheSameEnqueuingSpan() throws Exception {
    SpanContext request = enqueueUnder("Recv.cairn.search.v1.SearchService.Reindex");
    var attempts = new AtomicInteger();
    var worker = worker(JobHandler.of(jobs.kind, job -> {
      if (attempts.incrementAndGet() == 1) {
        throw new IllegalStateException("first attempt fails");
      }
    }));

    worker.runDue();
    jobs.clock.advance(Duration.ofMinutes(10)); // past the backoff
    worker.runDue();

    assertThat(jobSpans()).hasSize(2).allSatisfy(span -> assertThat(span.getLinks())
        .extracting(l -> l.getSpanContext().getSpanId())
        .containsExactly(request.getSpanId()));
    assertThat(jobSpans()).extracting(s -> s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("cairn.job.outcome")))
        .containsExactly("retry", "done");
  }

  @Test
  void jobEnqueuedWithNoCurrentSpanHasNoLink() {
    jobs.enqueue(owner, jobs.job(owner));

    worker(JobHandler.of(jobs.kind, job -> {})).runDue();

    assertThat(jobSpans()).singleElement().satisfies(span -> assertThat(span.getLinks()).isEmpty());
  }
}
