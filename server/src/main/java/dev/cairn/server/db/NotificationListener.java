package dev.cairn.server.db;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.QueryExecutor;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one dedicated connection LISTENing on a channel and hands its notifications to a
 * {@link Subscriber}, and answers {@link #sync}: "has every notification committed before
 * now been handed over?".
 *
 * <p>NOTIFY is asynchronous: a listener hears of a commit a millisecond or more after the
 * committer's client has been told of it, long enough for that client to make its next call.
 * {@link #sync} closes that gap with a round trip on the listening connection. The committing
 * backend signals the listening one before its COMMIT returns, and a backend sends the
 * notifications it was signalled about before it reports the next query done (PostgreSQL 15+),
 * so once a {@code SELECT 1} sent after this call has been answered, every notification of
 * an acknowledged commit has arrived. Concurrent callers share one round trip, which the
 * first of them runs on its own thread (a hand-off to the listener thread would cost two
 * wake-ups per call).
 *
 * <p>A {@linkplain #startPushed pushed} listener does not wait for a sync to hear notifications:
 * its thread blocks on the connection and hands each one over as it arrives (pgjdbc's
 * {@code processNotifies(timeout)}), for components that wait for events rather than check a
 * cache. A sync on it works the same, a slice ({@link #PUSH_SLICE}) later at worst, since the
 * driver lets one thread at a time use the connection.
 *
 * <p>The listener thread runs a round itself as a heartbeat when none ran for a while. When the connection fails,
 * pending and new syncs fail (callers must not trust what they hold), the subscriber hears
 * {@link Subscriber#lost}, and the thread reconnects with capped exponential backoff; after
 * each LISTEN it hears {@link Subscriber#subscribed}, since what was sent in the gap is lost.
 */
public final class NotificationListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NotificationListener.class);
  private static final Pattern CHANNEL = Pattern.compile("^[a-z_][a-z0-9_]{0,62}$");
  private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  /** Runs the driver's abort and timeout work at once: it only closes a socket. */
  private static final Executor INLINE = Runnable::run;
  /** The longest a pushed listener's thread holds the connection waiting for a notification. */
  static final Duration PUSH_SLICE = Duration.ofMillis(200);

  /** What a listener tells the component that depends on its notifications. */
  public interface Subscriber {
    /** LISTEN is in place (first time or again); nothing sent before it will arrive. */
    void subscribed();

    void notified(String payload);

    /** The connection is gone: notifications may be missed until the next {@link #subscribed}. */
    void lost();
  }

  /** Opens the dedicated connection (never a pooled one: it stays in LISTEN for ever). */
  @FunctionalInterface
  public interface Connector {
    Connection open() throws SQLException;
  }

  private final Connector connector;
  private final String channel;
  private final Subscriber subscriber;
  private final Duration heartbeat;
  private final boolean pushed;
  /**
   * Held from taking the driver's queue of notifications to handing the last of them over, so a
   * sync that takes the queue after another thread did returns only once that thread is done.
   */
  private final ReentrantLock dispatching = new ReentrantLock();
  private final Counter reconnects;
  private final Thread thread;
  private volatile boolean closed;
  private volatile @Nullable Connection current;

  // Rounds (round trips) are numbered; a caller needs one that began after it asked. The
  // caller that finds none in flight runs it itself on the listening connection (no hand-off
  // to another thread); callers arriving meanwhile wait for the next and share it.
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition finished = lock.newCondition();
  private final Condition changed = lock.newCondition();
  /** Written under the lock; read without it by {@link #listening}, on every cached lookup. */
  private volatile boolean listening;
  private @Nullable Connection listeningConnection;
  private boolean roundInFlight;
  private boolean broken;
  private long roundBegun;
  private long roundFinished;
  private long roundFailed;
  private long lastRoundNanos;

  private NotificationListener(
      Connector connector, String channel, Subscriber subscriber, Duration heartbeat, MeterRegistry metrics,
      boolean pushed) {
    this.pushed = pushed;
    this.connector = requireNonNull(connector, "connector");
    if (!CHANNEL.matcher(channel).matches()) {
      throw new IllegalArgumentException("channel: " + channel + " (expected: [a-z_][a-z0-9_]*)");
    }
    this.channel = channel;
    this.subscriber = requireNonNull(subscriber, "subscriber");
    this.heartbeat = requireNonNull(heartbeat, "heartbeat");
    this.reconnects =
        Counter.builder("cairn.db.listener.reconnects")
            .description("LISTEN sessions re-established after the previous one was lost")
            .tag("channel", channel)
            .register(metrics);
    this.thread = Thread.ofPlatform().daemon().name("cairn-listen-" + channel).unstarted(this::run);
  }

  /**
   * Starts listening in the background. {@code heartbeat} is the longest the connection goes
   * unchecked when nobody syncs; a round trip that takes twice as long counts as lost.
   */
  public static NotificationListener start(
      Connector connector, String channel, Subscriber subscriber, Duration heartbeat, MeterRegistry metrics) {
    var listener = new NotificationListener(connector, channel, subscriber, heartbeat, metrics, false);
    listener.thread.start();
    return listener;
  }

  /**
   * Starts listening in the background and hands notifications over as they arrive, without
   * waiting for a {@link #sync} (see the class comment); {@code heartbeat} as for {@link #start}.
   */
  public static NotificationListener startPushed(
      Connector connector, String channel, Subscriber subscriber, Duration heartbeat, MeterRegistry metrics) {
    var listener = new NotificationListener(connector, channel, subscriber, heartbeat, metrics, true);
    listener.thread.start();
    return listener;
  }

  /** True while LISTEN is in place (a cheap hint; only {@link #sync} is a guarantee). */
  public boolean listening() {
    return listening;
  }

  /**
   * Waits until every notification whose transaction committed before this call has been
   * handed to the subscriber. False when that cannot be known within {@code timeout}: not
   * listening, the connection failed, or it is slow.
   */
  public boolean sync(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      if (!listening) {
        return false;
      }
      long needed = roundInFlight ? roundBegun + 1 : roundFinished + 1;
      while (roundFinished < needed) {
        if (!listening) {
          return false;
        }
        if (!roundInFlight) {
          lead();
          continue;
        }
        long nanos = deadline - System.nanoTime();
        if (nanos <= 0) {
          return false;
        }
        finished.awaitNanos(nanos);
      }
      return roundFailed < needed;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs the next round: called with the lock held while listening and no round is in flight;
   * releases it for the round trip. A failed round trip marks the connection broken.
   */
  private void lead() {
    long round = roundFinished + 1;
    roundBegun = round;
    roundInFlight = true;
    Connection connection = requireNonNull(listeningConnection, "listeningConnection");
    boolean ok = false;
    lock.unlock();
    try {
      roundTrip(connection);
      ok = true;
    } catch (SQLException | RuntimeException e) {
      log.debug("round trip on the LISTEN connection for {} failed", channel, e);
    } finally {
      lock.lock();
      roundInFlight = false;
      roundFinished = Math.max(roundFinished, round);
      lastRoundNanos = System.nanoTime();
      if (!ok) {
        roundFailed = Math.max(roundFailed, round);
        broken = true;
        listening = false;
        changed.signalAll();
      }
      finished.signalAll();
    }
  }

  /** SELECT 1, then hand over what arrived before its answer. */
  private void roundTrip(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("SELECT 1");
    }
    // The driver queued every notification that came before the answer. Take that queue
    // as it is: PGConnection.getNotifications() also peeks at the socket, and that peek
    // waits a full millisecond whenever nothing more is there (pgjdbc 42.7), on every call.
    handOver(connection.unwrap(BaseConnection.class).getQueryExecutor());
  }

  /** Takes the driver's queue of notifications as it is and hands them to the subscriber. */
  private void handOver(QueryExecutor executor) throws SQLException {
    dispatching.lock();
    try {
      PGNotification[] notifications = executor.getNotifications();
      if (notifications != null) {
        for (PGNotification notification : notifications) {
          subscriber.notified(notification.getParameter());
        }
      }
    } finally {
      dispatching.unlock();
    }
  }

  private void run() {
    Duration backoff = MIN_BACKOFF;
    boolean everListened = false;
    while (!closed) {
      try (Connection connection = connector.open()) {
        current = connection;
        if (closed) {
          return;
        }
        listen(connection);
        subscriber.subscribed();
        startListening(connection);
        if (everListened) {
          reconnects.increment();
          log.info("listening on {} again", channel);
        }
        everListened = true;
        backoff = MIN_BACKOFF;
        if (pushed) {
          servePushed(connection.unwrap(BaseConnection.class).getQueryExecutor());
        } else {
          serve();
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        stopListening();
        subscriber.lost();
        log.warn("lost the LISTEN connection for {}; retrying in {} ms: {}", channel, backoff.toMillis(), e.toString());
      } catch (InterruptedException e) {
        return;
      } finally {
        current = null;
        stopListening();
      }
      backoff = sleep(backoff);
    }
  }

  private void listen(Connection connection) throws SQLException {
    // a read that waits longer than two heartbeats fails, so a silently dropped connection
    // (no FIN, no RST) is noticed in seconds rather than after TCP keepalive's hours
    connection.setNetworkTimeout(INLINE, Math.toIntExact(2 * heartbeat.toMillis()));
    try (Statement statement = connection.createStatement()) {
      // the channel matched CHANNEL at construction; LISTEN takes no parameters
      statement.execute("LISTEN " + channel);
    }
  }

  private void startListening(Connection connection) {
    lock.lock();
    try {
      listeningConnection = connection;
      broken = false;
      lastRoundNanos = System.nanoTime();
      listening = true;
    } finally {
      lock.unlock();
    }
  }

  /** Heartbeats (a round when none ran for a while) until a round fails or the listener closes. */
  private void serve() throws SQLException, InterruptedException {
    lock.lock();
    try {
      while (!closed && !broken) {
        long idle = heartbeat.toNanos() - (System.nanoTime() - lastRoundNanos);
        if (idle <= 0 && !roundInFlight) {
          lead();
        } else {
          changed.awaitNanos(idle > 0 ? idle : heartbeat.toNanos());
        }
      }
    } finally {
      lock.unlock();
    }
    if (broken && !closed) {
      throw new SQLException("a round trip on the LISTEN connection failed");
    }
  }

  /**
   * A pushed listener's loop: waits on the connection for notifications a slice at a time and
   * hands them over as they come, with a heartbeat round when none ran for a while.
   */
  private void servePushed(QueryExecutor executor) throws SQLException {
    int slice = Math.toIntExact(Math.min(PUSH_SLICE.toMillis(), heartbeat.toMillis()));
    while (!closed) {
      lock.lock();
      try {
        if (broken) {
          break;
        }
        if (!roundInFlight && System.nanoTime() - lastRoundNanos >= heartbeat.toNanos()) {
          lead();
          continue;
        }
      } finally {
        lock.unlock();
      }
      // returns at the first notification (with any that came with it) or after the slice
      executor.processNotifies(slice);
      handOver(executor);
    }
    if (broken && !closed) {
      throw new SQLException("a round trip on the LISTEN connection failed");
    }
  }

  /** Going down fails every round begun, so no waiter trusts a lost connection. */
  private void stopListening() {
    lock.lock();
    try {
      listening = false;
      listeningConnection = null;
      roundFailed = Math.max(roundFailed, roundBegun);
      roundFinished = Math.max(roundFinished, roundBegun);
      finished.signalAll();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private Duration sleep(Duration backoff) {
    try {
      Thread.sleep(backoff);
    } catch (InterruptedException e) {
      closed = true;
    }
    Duration next = backoff.multipliedBy(2);
    return next.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : next;
  }

  /** Stops the thread: aborts the connection it may be blocked on, then waits briefly. */
  @Override
  public void close() {
    closed = true;
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    Connection connection = current;
    if (connection != null) {
      try {
        connection.abort(INLINE);
      } catch (SQLException e) {
        log.debug("could not abort the LISTEN connection", e);
      }
    }
    thread.interrupt();
    try {
      thread.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopListening();
  }
}
