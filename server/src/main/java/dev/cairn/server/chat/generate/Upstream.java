package dev.cairn.server.chat.generate;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One attempt's HTTP exchange with the model server, which another thread can abort: the
 * cancellation of the answer, or its own watchdog when the first token or the next event is
 * late. Aborting cancels the pending response and closes the body stream, which cancels the
 * HTTP/1.1 exchange and closes its connection, and wakes the reader blocked on it.
 */
final class Upstream {
  enum Abort {
    NONE,
    CANCELLED,
    FIRST_TOKEN_TIMEOUT,
    IDLE_TIMEOUT
  }

  private final CompletableFuture<HttpResponse<InputStream>> response;
  private final ScheduledExecutorService timer;
  private final long firstTokenNanos;
  private final long idleNanos;
  private final long startNanos = System.nanoTime();
  private volatile long lastReadNanos = startNanos;
  private volatile boolean answering;
  private volatile boolean inRead;
  private @Nullable InputStream body;
  private @Nullable ScheduledFuture<?> watch;
  private Abort abort = Abort.NONE;
  private boolean finished;

  Upstream(
      CompletableFuture<HttpResponse<InputStream>> response, ScheduledExecutorService timer,
      Duration firstTokenTimeout, Duration idleTimeout) {
    this.response = response;
    this.timer = timer;
    this.firstTokenNanos = firstTokenTimeout.toNanos();
    this.idleNanos = idleTimeout.toNanos();
    schedule(firstTokenNanos);
  }

  CompletableFuture<HttpResponse<InputStream>> response() {
    return response;
  }

  /** Hands over the body; closes it at once if the exchange was aborted meanwhile. */
  void attach(InputStream in) {
    boolean close;
    synchronized (this) {
      close = abort != Abort.NONE || finished;
      body = in;
    }
    if (close) {
      closeQuietly(in);
    }
  }

  /** The answer's first text arrived: from now on only silence between events times out. */
  void answering() {
    answering = true;
  }

  /** About to wait for the next event: the idle timeout counts from here. */
  void reading() {
    lastReadNanos = System.nanoTime();
    inRead = true;
  }

  /**
   * An event arrived and is being handed on; a slow sink (a slow gRPC reader) is not the server's
   * silence, so the idle timeout waits for the next {@link #reading()}.
   */
  void received() {
    inRead = false;
  }

  void abort(Abort why) {
    InputStream in;
    synchronized (this) {
      if (abort != Abort.NONE || finished) {
        return;
      }
      abort = why;
      in = body;
    }
    response.cancel(true);
    if (in != null) {
      closeQuietly(in);
    }
  }

  synchronized Abort aborted() {
    return abort;
  }

  /** The attempt is over: stop watching and release the connection. */
  void finish() {
    InputStream in;
    ScheduledFuture<?> w;
    synchronized (this) {
      finished = true;
      in = body;
      w = watch;
    }
    if (w != null) {
      w.cancel(false);
    }
    response.cancel(true);
    if (in != null) {
      closeQuietly(in);
    }
  }

  private void check() {
    long now = System.nanoTime();
    long remaining;
    if (!answering) {
      remaining = startNanos + firstTokenNanos - now;
    } else if (inRead) {
      remaining = lastReadNanos + idleNanos - now;
    } else {
      remaining = idleNanos;
    }
    if (remaining <= 0) {
      abort(answering ? Abort.IDLE_TIMEOUT : Abort.FIRST_TOKEN_TIMEOUT);
    } else {
      schedule(remaining);
    }
  }

  private synchronized void schedule(long nanos) {
    if (!finished && abort == Abort.NONE) {
      watch = timer.schedule(this::check, nanos, TimeUnit.NANOSECONDS);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // closing to abort: nothing more to do with this stream
    }
  }
}
