package dev.cairn.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** When the CLI waits and tries again, and for how long. The real server's refusal is in SearchCliEndToEndTest. */
class BackoffTest {
  private final List<Duration> slept = new ArrayList<>();
  /** random 1.0: the top of each jittered range, so the schedule is exact. */
  private final Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4), 6, slept::add, () -> 1.0);

  private static StatusRuntimeException exhausted(String limit, Duration retryDelay) {
    var status = com.google.rpc.Status.newBuilder().setCode(Code.RESOURCE_EXHAUSTED_VALUE).setMessage("slow down");
    if (limit != null) {
      status.addDetails(Any.pack(ErrorInfo.newBuilder().setReason("LIMIT_EXCEEDED").setDomain("cairn.dev")
          .putMetadata("limit", limit).build()));
    }
    if (retryDelay != null) {
      status.addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
          .setSeconds(retryDelay.getSeconds()).setNanos(retryDelay.getNano())).build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  /** Fails {@code failures} times with {@code error}, then answers "ok". */
  private static java.util.function.Supplier<String> failing(int failures, StatusRuntimeException error, AtomicInteger calls) {
    return () -> {
      if (calls.incrementAndGet() <= failures) {
        throw error;
      }
      return "ok";
    };
  }

  @Test
  void aRateLimitIsRetriedWithDoublingDelaysCappedAtTheMaximum() {
    var calls = new AtomicInteger();

    String result = backoff.call(failing(5, exhausted("writes_per_minute", null), calls), r -> {});

    assertThat(result).isEqualTo("ok");
    assertThat(calls).hasValue(6);
    assertThat(slept).containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
        Duration.ofSeconds(4), Duration.ofSeconds(4));
  }

  @Test
  void jitterKeepsAtLeastHalfOfEachDelay() {
    var low = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(4), 6, slept::add, () -> 0.0);

    low.call(failing(3, exhausted("writes_per_minute", null), new AtomicInteger()), r -> {});

    assertThat(slept).containsExactly(Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1));
  }

  @Test
  void theServersRetryDelayIsHonouredEvenPastOurCap() {
    backoff.call(failing(1, exhausted("writes_per_minute", Duration.ofSeconds(7)), new AtomicInteger()), r -> {});

    assertThat(slept).containsExactly(Duration.ofSeconds(7));
  }

  @Test
  void aQuotaIsNotARateAndFailsAtOnce() {
    var calls = new AtomicInteger();

    assertThatThrownBy(() -> backoff.call(failing(1, exhausted("max_items_per_user", null), calls), r -> {}))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(calls).hasValue(1);
    assertThat(slept).isEmpty();
  }

  @Test
  void aRefusalThatOutlastsTheAttemptsIsRethrownAfterTheLast() {
    var calls = new AtomicInteger();
    List<Backoff.Retry> retries = new ArrayList<>();

    assertThatThrownBy(() -> backoff.call(failing(100, exhausted(null, null), calls), retries::add))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(calls).hasValue(6);
    assertThat(retries).hasSize(5);
    assertThat(retries.getFirst().describe()).contains("RESOURCE_EXHAUSTED", "slow down", "retrying in 500 ms");
  }

  @Test
  void otherErrorsAreNotRetried() {
    var calls = new AtomicInteger();
    var notFound = io.grpc.Status.NOT_FOUND.asRuntimeException();

    assertThatThrownBy(() -> backoff.call(failing(1, notFound, calls), r -> {})).isSameAs(notFound);
    assertThat(calls).hasValue(1);
  }
}
