package dev.cairn.server.db;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Principal;
import io.grpc.Deadline;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Group commit for one constant statement of {@link Database#statement}'s kind: calls that
 * arrive while earlier ones are at the database wait, and the next round takes up to {@code
 * maxBatch} of them into one pipeline with one Sync, so they share one round trip and one
 * commit (one wait for the disk). Each call's statement still runs right after its own
 * transaction locals (its identity, its deadline as statement_timeout, the server's clock),
 * so row-level security sees each caller exactly as when it runs alone.
 *
 * <p>No thread of its own: a caller that finds fewer than {@code maxInFlight} rounds at the
 * database runs the next round itself, for itself and whoever is waiting; when its own call is
 * done it hands that role to a waiting caller, if any. A call that finds nobody at the database
 * runs alone, at once, as {@link Database#statement} with the cancellation of its own call: one
 * client at a time pays nothing for the batching. A call that waits is not cancelled with its
 * RPC: once its round has begun it runs to the end (and a read is audited whether or not its
 * answer was still wanted); the deadline still bounds it.
 *
 * <p>When a round fails, PostgreSQL has rolled all of it back (one implicit transaction), and
 * every call in it runs again alone, so each gets its own result or error and none is written twice.
 * A reader that fails once its round has committed fails its own call only: nothing runs again.
 */
public final class StatementBatcher<T> {
  private final Database database;
  private final String statement;
  private final int parameterCount;
  private final int maxBatch;
  private final int maxInFlight;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Call<T>> waiting = new ArrayDeque<>();
  /** Callers running rounds now (at most maxInFlight). Under the lock. */
  private int leaders;
  /** The pipeline text per round size (index: calls - 1), built on first use. */
  private final String[] pipelines;
  /** Calls per round that committed (1: ran alone). */
  private final DistributionSummary sizes;
  /** Calls run again alone because their round failed. */
  private final Counter retried;

  StatementBatcher(
      Database database, String statement, int parameterCount, int maxBatch, int maxInFlight, DistributionSummary sizes,
      Counter retried) {
    this.sizes = requireNonNull(sizes, "sizes");
    this.retried = requireNonNull(retried, "retried");
    this.database = requireNonNull(database, "database");
    this.statement = requireNonNull(statement, "statement");
    if (parameterCount < 0 || maxBatch < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("parameterCount " + parameterCount + ", maxBatch " + maxBatch
          + ", maxInFlight " + maxInFlight + " (expected: >= 0, >= 1, >= 1)");
    }
    this.parameterCount = parameterCount;
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.pipelines = new String[maxBatch];
  }

  /** One call waiting for its round; its fields are guarded by the batcher's lock. */
  static final class Call<T> {
    final Principal principal;
    final Database.Binder binder;
    final Database.ResultReader<T> reader;
    final @Nullable Deadline deadline;
    final @Nullable TokenCheck check;
    final Condition changed;
    boolean leader;
    boolean done;
    @Nullable T result;
    @Nullable RuntimeException failure;

    Call(Principal principal, Database.Binder binder, Database.ResultReader<T> reader, @Nullable Deadline deadline,
        Condition changed) {
      this.principal = principal;
      this.binder = binder;
      this.reader = reader;
      this.deadline = deadline;
      this.check = TokenCheck.pending(); // built on the caller's own thread, in its call's context
      this.changed = changed;
    }

    Database.Request<T> request() {
      return new Database.Request<>(principal, deadline, check, binder, reader);
    }
  }

  /**
   * Runs the statement as {@code principal} with the parameters {@code binder} sets (numbered
   * from 1, as for {@link Database#statement}) and returns what {@code reader} made of its rows.
   */
  public T run(Principal principal, Database.Binder binder, Database.ResultReader<T> reader) {
    requireNonNull(principal, "principal");
    requireNonNull(binder, "binder");
    requireNonNull(reader, "reader");
    lock.lock();
    Call<T> me;
    try {
      if (leaders < maxInFlight && waiting.isEmpty()) {
        leaders++;
        me = null;
      } else {
        me = new Call<>(principal, binder, reader, io.grpc.Context.current().getDeadline(), lock.newCondition());
        waiting.add(me);
        while (!me.done && !me.leader) {
          me.changed.awaitUninterruptibly();
        }
      }
    } finally {
      lock.unlock();
    }
    if (me == null) {
      // nobody waiting and a free slot: alone, as if there were no batcher
      try {
        sizes.record(1);
        return database.statementOfCurrentCall(pipeline(1), parameterCount,
            new Database.Request<>(principal, io.grpc.Context.current().getDeadline(), TokenCheck.pending(), binder, reader));
      } finally {
        handOver();
      }
    }
    try {
      while (true) {
        List<Call<T>> round;
        lock.lock();
        try {
          if (me.done) {
            break;
          }
          round = take();
          if (round.isEmpty()) {
            // another leader took mine: wait for it to finish
            while (!me.done) {
              me.changed.awaitUninterruptibly();
            }
            break;
          }
        } finally {
          lock.unlock();
        }
        runRound(round);
      }
    } finally {
      if (me.leader) {
        handOver();
      }
    }
    if (me.failure != null) {
      throw me.failure;
    }
    return me.result;
  }

  /** Up to maxBatch of the longest waiting calls. Under the lock. */
  private List<Call<T>> take() {
    var round = new ArrayList<Call<T>>(Math.min(maxBatch, waiting.size()));
    while (round.size() < maxBatch && !waiting.isEmpty()) {
      Call<T> call = waiting.poll();
      round.add(call);
    }
    return round;
  }

  /** A leader whose own call is done passes its slot to a waiting caller, or gives it up. */
  private void handOver() {
    lock.lock();
    try {
      for (Call<T> call : waiting) {
        if (!call.leader) {
          call.leader = true;
          call.changed.signal();
          return;
        }
      }
      leaders--;
    } finally {
      lock.unlock();
    }
  }

  private void runRound(List<Call<T>> round) {
    List<Database.Result<T>> outcomes;
    try {
      outcomes = round.size() == 1
          ? List.of(alone(round.get(0)))
          : database.statements(pipeline(round.size()), parameterCount, round.stream().map(Call::request).toList());
      if (round.size() > 1) {
        sizes.record(round.size());
      }
    } catch (RuntimeException failed) {
      // the round's one implicit transaction rolled back: each call again, alone
      retried.increment(round.size());
      outcomes = round.stream().map(this::alone).toList();
    }
    lock.lock();
    try {
      for (int i = 0; i < round.size(); i++) {
        Call<T> call = round.get(i);
        call.result = outcomes.get(i).value();
        call.failure = outcomes.get(i).failure();
        call.done = true;
        call.changed.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  private Database.Result<T> alone(Call<T> call) {
    sizes.record(1);
    try {
      return database.statements(pipeline(1), parameterCount, List.of(call.request())).get(0);
    } catch (RuntimeException e) {
      return new Database.Result<>(null, e);
    }
  }

  private String pipeline(int calls) {
    String text = pipelines[calls - 1];
    if (text == null) {
      text = Database.pipeline(statement, calls);
      pipelines[calls - 1] = text; // a race builds the same text twice, harmlessly
    }
    return text;
  }
}
