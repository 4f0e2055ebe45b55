package dev.cairn.server.vault.items;

import dev.cairn.server.core.CairnException;
import dev.cairn.type.v1.ErrorReason;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends a server stream no faster than the client reads it: {@link #send} waits while the
 * transport is not ready, so a slow reader holds the sender back instead of making the
 * server buffer the whole content. The waiting happens on a separate virtual thread: the
 * call's own callbacks (onReady, onCancel) run serialised on the call's executor and must stay
 * free to wake it.
 */
final class FlowControlledSender<T> {
  private final ServerCallStreamObserver<T> call;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private volatile boolean cancelled;

  FlowControlledSender(ServerCallStreamObserver<T> call) {
    this.call = call;
    call.setOnReadyHandler(this::wake);
    call.setOnCancelHandler(() -> {
      cancelled = true;
      wake();
    });
  }

  /** Work that sends messages; it may block in {@link #send}. */
  @FunctionalInterface
  interface Streaming {
    void run();
  }

  /** Runs {@code streaming} on its own virtual thread (in the call's context), then completes the call. */
  void streamInBackground(Streaming streaming) {
    // the trace's context too (OpenTelemetry's is not the gRPC one), so the stream's log lines carry its ids
    Thread.ofVirtual().name("cairn-download").start(io.opentelemetry.context.Context.current().wrap(Context.current().wrap(() -> {
      try {
        streaming.run();
        call.onCompleted();
      } catch (RuntimeException e) {
        if (!cancelled) {
          call.onError(e);
        }
      }
    })));
  }

  /** Sends one message once the client can take it; fails with CANCELLED if the client went away. */
  void send(T message) {
    lock.lock();
    try {
      while (!call.isReady()) {
        if (cancelled) {
          throw new CairnException(CairnException.Kind.CANCELLED, ErrorReason.ERROR_REASON_UNSPECIFIED,
              "the client cancelled the download", Map.of(), List.of());
        }
        // the timeout only guards against a missed wake-up; onReady normally signals
        ready.await(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the client", e);
    } finally {
      lock.unlock();
    }
    call.onNext(message);
  }

  private void wake() {
    lock.lock();
    try {
      ready.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
