package dev.cairn.client.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The lines {@code cairn chat} reads, and its two ways to stop an answer while it streams. Lines
 * are read on their own thread so that {@code /cancel} is seen during an answer (the main thread
 * is busy printing it); every other line waits its turn. When the lines are the process's stdin,
 * Ctrl-C (SIGINT) stops the answer instead of the JVM, until {@link #close()}.
 */
final class ChatLines implements AutoCloseable {
  private static final Optional<String> END = Optional.empty();

  private final BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();
  private final ChatSession session;
  private final @Nullable SignalHandler previous;

  ChatLines(InputStream in, ChatSession session, boolean handleSigint, java.io.PrintWriter err) {
    this.session = session;
    this.previous = handleSigint ? onSigint(session) : null;
    if (previous == SignalHandler.SIG_IGN) {
      // the JVM installs no handler for a signal ignored at start (e.g. a background job)
      err.println("note: this process ignores Ctrl-C (SIGINT); /cancel stops an answer");
      err.flush();
    }
    // a platform daemon thread: a read blocked on stdin must not keep the JVM alive after /quit
    Thread.ofPlatform().daemon().name("cairn-chat-stdin").start(() -> read(in));
  }

  /** The next line, or null at the end of input. */
  @Nullable String next() throws InterruptedException {
    Optional<String> line = lines.take();
    if (line.isEmpty()) {
      lines.add(END); // stays at the end for a later call
    }
    return line.orElse(null);
  }

  private void read(InputStream in) {
    try (var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = reader.readLine()) != null; ) {
        if (line.strip().equals("/cancel")) {
          session.cancel();
        } else {
          lines.add(Optional.of(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      lines.add(END);
    }
  }

  /** Null when the JVM would not let us (started with SIGINT ignored, or -Xrs): Ctrl-C then does what it did. */
  private static @Nullable SignalHandler onSigint(ChatSession session) {
    try {
      return Signal.handle(new Signal("INT"), signal -> session.interrupt());
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      return null;
    }
  }

  @Override
  public void close() {
    if (previous != null && previous != SignalHandler.SIG_IGN) {
      Signal.handle(new Signal("INT"), previous);
    }
  }
}
