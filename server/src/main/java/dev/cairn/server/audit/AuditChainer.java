package dev.cairn.server.audit;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.LoggableErrors;
import dev.cairn.server.audit.AuditLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Links queued audit events into their owners' hash chains. Per owner, in a transaction of
 * the owner's (V10's policies), it locks the head row, gives the oldest queued events the
 * next seqs, links and hashes them exactly as {@link AuditLog#canonical} documents, appends
 * them, takes them off the queue and moves the head: a batch at a time, one statement each.
 * The head row lock makes it the owner's only chainer until commit, so several replicas
 * (each running one) never fork a chain; a crash before commit leaves the events queued for
 * the next round. In the background it runs every poll interval and when woken by
 * {@link AuditLog#append} (this replica's events); owners are found through one SECURITY
 * DEFINER function (ids only). Readers of a chain call {@link #chain} first.
 */
public final class AuditChainer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditChainer.class);
  /** Events linked per transaction: bounds the head lock's hold and the statement's size. */
  static final int BATCH = 500;
  private static final int OWNERS_PER_ROUND = 500;
  /**
   * After a wake-up, how long to let the waking transaction commit and others join it. A round
   * costs about the same for 2 events as for 50, so waiting longer links more per round; the
   * wait delays no reader (a chain's readers link its queue first) and no event's durability.
   */
  private static final Duration LINGER = Duration.ofMillis(20);
  /** SQLSTATE lock_not_available: lock_timeout elapsed. */
  private static final String LOCK_NOT_AVAILABLE = "55P03";

  private final Database database;
  private final AuditQueueRepository queue = new AuditQueueRepository();
  private final Semaphore wakeUps = new Semaphore(0);
  private volatile boolean closed;
  private Thread loop;

  public AuditChainer(Database database) {
    this.database = requireNonNull(database, "database");
  }

  /** Runs in the background until {@link #close}: every {@code pollEvery}, and when {@code audit} queues an event. */
  public AuditChainer start(AuditLog audit, Duration pollEvery) {
    requireNonNull(audit, "audit");
    long pollMillis = requireNonNull(pollEvery, "pollEvery").toMillis();
    audit.whenQueued(this::wakeUp);
    loop = Thread.ofVirtual().name("cairn-audit-chainer").start(() -> runUntilClosed(pollMillis));
    return this;
  }

  private void wakeUp() {
    if (wakeUps.availablePermits() == 0) {
      wakeUps.release();
    }
  }

  private void runUntilClosed(long pollMillis) {
    while (!closed) {
      try {
        if (wakeUps.tryAcquire(pollMillis, TimeUnit.MILLISECONDS) && !closed) {
          Thread.sleep(LINGER);
          wakeUps.drainPermits();
        }
        if (!closed) {
          round(true);
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("audit chaining round failed; retrying next round", LoggableErrors.scrub(e));
      }
    }
  }

  /**
   * One pass over the owners with queued events; an owner another chainer holds is skipped
   * when {@code skipLocked} (it is being chained), else waited for. Returns events linked.
   */
  long round(boolean skipLocked) {
    List<UUID> owners = database.transaction(Principal.anonymous(), sql -> queue.ownersWithQueued(sql, OWNERS_PER_ROUND));
    long linked = 0;
    for (UUID owner : owners) {
      try {
        linked += drain(owner, skipLocked, Long.MAX_VALUE, 0);
      } catch (RuntimeException e) {
        // one owner's trouble must not hold up the others' chains
        log.warn("could not chain the audit events of users/{}; retrying next round", owner, LoggableErrors.scrub(e));
      }
    }
    return linked;
  }

  /**
   * Links every event queued so far, of every owner, waiting for other chainers: for tests
   * and for shutdown. Returns how many were linked.
   */
  public long chainAll() {
    long linked = 0;
    for (int i = 0; i < 1000; i++) {
      long round = round(false);
      if (round == 0) {
        return linked;
      }
      linked += round;
    }
    return linked;
  }

  /**
   * Links up to {@code maxEvents} of the owner's queued events now, before a read of their
   * chain, waiting at most {@code lockWait} for another chainer that holds it. Returns how
   * many it linked; what it leaves stays queued for the background (and is reported).
   */
  public long chain(UUID owner, long maxEvents, Duration lockWait) {
    try {
      return drain(owner, false, maxEvents, Math.max(1, lockWait.toMillis()));
    } catch (DataAccessException e) {
      if (LOCK_NOT_AVAILABLE.equals(e.sqlState())) {
        return 0;
      }
      throw e;
    }
  }

  private long drain(UUID owner, boolean skipLocked, long maxEvents, long lockWaitMillis) {
    long linked = 0;
    while (linked < maxEvents) {
      int batch = linkBatch(owner, skipLocked, (int) Math.min(BATCH, maxEvents - linked), lockWaitMillis);
      linked += batch;
      if (batch < BATCH) {
        return linked;
      }
    }
    return linked;
  }

  /** One transaction: lock the head, link up to {@code limit} queued events. Returns how many. */
  private int linkBatch(UUID owner, boolean skipLocked, int limit, long lockWaitMillis) {
    return database.transaction(Principal.system(owner), sql -> {
      if (lockWaitMillis > 0) {
        sql.select(DSL.function("set_config", String.class, DSL.val("lock_timeout"), DSL.val(lockWaitMillis + "ms"), DSL.inline(true)))
            .fetch();
      }
      var head = queue.lockHead(sql, owner, skipLocked).orElse(null);
      if (head == null) {
        if (!queue.anyQueued(sql, owner)) {
          return 0;
        }
        queue.createHead(sql, owner);
        head = queue.lockHead(sql, owner, skipLocked).orElse(null);
        if (head == null) {
          return 0; // another chainer made it and holds it
        }
      }
      // read after the lock: whatever an earlier holder linked is gone from the queue by now
      List<AuditEvents.Queued> queued = queue.queued(sql, owner, limit);
      if (queued.isEmpty()) {
        return 0;
      }
      queue.link(sql, owner, linked(owner, head, queued));
      return queued.size();
    });
  }

  /** The queued events as the next links of the chain after {@code head}. */
  private static List<AuditEvents.Linked> linked(UUID owner, AuditRepository.Head head, List<AuditEvents.Queued> queued) {
    var events = new ArrayList<AuditEvents.Linked>(queued.size());
    long seq = head.seq();
    byte[] prev = head.hash();
    for (AuditEvents.Queued q : queued) {
      seq++;
      byte[] hash = AuditLog.hash(prev, AuditLog.canonical(owner, seq, q));
      events.add(new AuditEvents.Linked(seq, q, prev, hash));
      prev = hash;
    }
    return events;
  }

  @Override
  public void close() {
    closed = true;
    wakeUp(); // ends the wait; a round in progress finishes its transaction
    Thread running = loop;
    if (running != null) {
      try {
        if (!running.join(Duration.ofSeconds(5))) {
          running.interrupt();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
