package dev.cairn.server.testing;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Counts database round trips per thread name prefix while open: pgjdbc logs one Sync message
 * per round trip (at FINEST, through java.util.logging), whatever the statements in it. The
 * pool's liveness check of a connection that sat idle (an empty query) is left out: it depends on
 * timing, not on what the code under test sends. So is a LISTEN connection's barrier (its
 * {@code SELECT 1}, by which a caller learns it has every notification committed before it),
 * counted apart in {@link #barriersOf}: a caller may share another's barrier in flight instead.
 */
public final class RoundTrips implements AutoCloseable {
  // a strong reference: java.util.logging keeps loggers only weakly
  private static final Logger PGJDBC = Logger.getLogger("org.postgresql.core.v3.QueryExecutorImpl");

  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> barriers = new ConcurrentHashMap<>();
  private final Set<Thread> checkingLiveness = ConcurrentHashMap.newKeySet();
  private final Set<Thread> awaitingBarrier = ConcurrentHashMap.newKeySet();
  private final String[] prefixes;
  private final Level previous;
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      String message = record.getMessage();
      Thread thread = Thread.currentThread();
      if (message != null && message.startsWith(" FE=> Parse(") && record.getParameters() != null
          && record.getParameters().length > 1 && "".equals(record.getParameters()[1])) {
        checkingLiveness.add(thread);
      } else if (message != null && message.startsWith(" FE=> Parse(") && (message.contains("query=\"SELECT 1\"")
          || record.getParameters() != null && record.getParameters().length > 1 && "SELECT 1".equals(record.getParameters()[1]))) {
        awaitingBarrier.add(thread);
      } else if (" FE=> Sync".equals(message) && !checkingLiveness.remove(thread)) {
        var into = awaitingBarrier.remove(thread) ? barriers : counts;
        for (String prefix : prefixes) {
          if (thread.getName().startsWith(prefix)) {
            into.computeIfAbsent(prefix, p -> new AtomicInteger()).incrementAndGet();
          }
        }
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  private RoundTrips(String... prefixes) {
    this.prefixes = prefixes;
    this.previous = PGJDBC.getLevel();
    PGJDBC.setLevel(Level.FINEST);
    PGJDBC.addHandler(handler);
  }

  /** Starts counting the round trips of threads whose names start with one of {@code prefixes}. */
  public static RoundTrips on(String... prefixes) {
    return new RoundTrips(prefixes);
  }

  public int of(String prefix) {
    AtomicInteger n = counts.get(prefix);
    return n == null ? 0 : n.get();
  }

  /** The LISTEN barriers the prefix's threads ran themselves (not in {@link #of}). */
  public int barriersOf(String prefix) {
    AtomicInteger n = barriers.get(prefix);
    return n == null ? 0 : n.get();
  }

  public void reset() {
    counts.clear();
    barriers.clear();
  }

  @Override
  public void close() {
    PGJDBC.removeHandler(handler);
    PGJDBC.setLevel(previous);
  }
}
