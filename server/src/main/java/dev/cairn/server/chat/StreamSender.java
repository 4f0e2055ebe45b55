package dev.cairn.server.chat;

import dev.cairn.server.chat.generate.CancelActions;
import dev.cairn.server.chat.generate.Cancellation;
import dev.cairn.server.core.CairnException;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An answer stream's sending side: {@link #send} waits while the transport is not ready (gRPC
 * flow control), so a slow reader holds back only its own call — never the generator, which
 * keeps appending to memory and storage — and nothing queues without bound. It is also the
 * call's {@link Cancellation}: the client cancelling, a deadline or a dropped connection.
 */
final class StreamSender<T> implements Cancellation {
  private final ServerCallStreamObserver<T> call;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private final CancelActions cancellation = new CancelActions();

  /** Must be made in the call's handler thread, before it returns (gRPC's rule for the handlers). */
  StreamSender(ServerCallStreamObserver<T> call) {
    this.call = call;
    call.setOnReadyHandler(this::wake);
    call.setOnCancelHandler(this::cancelled);
  }

  @FunctionalInterface
  interface Streaming {
    void run();
  }

  /** Runs {@code streaming} on its own virtual thread in the call's context, then ends the call. */
  void streamInBackground(String name, Streaming streaming) {
    // the trace's context too (OpenTelemetry's is not the gRPC one), so the stream's log lines carry its ids
    Thread.ofVirtual().name(name).start(io.opentelemetry.context.Context.current().wrap(Context.current().wrap(() -> {
      try {
        streaming.run();
        call.onCompleted();
      } catch (RuntimeException e) {
        if (!cancellation.isCancelled()) {
          call.onError(e);
        }
      }
    })));
  }

  void send(T message) {
    lock.lock();
    try {
      while (!call.isReady()) {
        if (cancellation.isCancelled()) {
          throw CairnException.cancelled("the client went away");
        }
        // the timeout only guards against a missed wake-up; onReady normally signals
        ready.await(1, TimeUnit.SECONDS);
      }
      if (cancellation.isCancelled()) {
        throw CairnException.cancelled("the client went away");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CairnException.cancelled("interrupted while waiting for the client");
    } finally {
      lock.unlock();
    }
    call.onNext(message);
  }

  @Override
  public boolean isCancelled() {
    return cancellation.isCancelled();
  }

  @Override
  public void onCancel(Runnable action) {
    cancellation.onCancel(action);
  }

  private void cancelled() {
    List<Runnable> actions = cancellation.cancel();
    wake(); // after the flag is set: a sender waiting for readiness sees it
    // run on their own thread: the call's callbacks stay quick
    Thread.ofVirtual().start(() -> actions.forEach(Runnable::run));
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
