package dev.cairn.server.audit;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.Database;
import dev.cairn.server.db.LoggableErrors;
import dev.cairn.server.core.Now;
import dev.cairn.server.core.Principal;
import dev.cairn.server.observability.Metrics;
import com.google.crypto.tink.KeysetHandle;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs each owner's audit head whose chain moved past its latest checkpoint (a signed tree
 * head, as transparency logs publish). Before signing, it walks the events since the previous
 * checkpoint, anchored on that checkpoint's hash: it only ever vouches for a chain that
 * extends what it vouched for before, so a rewrite between two rounds is not signed over but
 * reported. Finds owners through one SECURITY DEFINER function, then acts as each owner.
 * A transaction walks at most {@value #MAX_WALK} events: a long unsigned stretch (a busy
 * owner between rounds, an old chain's first checkpoint) is signed in steps, each step's
 * checkpoint the next one's anchor, so no round holds one snapshot open over millions of
 * rows. Safe with several replicas (a checkpoint is keyed by owner and seq; a duplicate is
 * skipped).
 */
public final class AuditCheckpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditCheckpointer.class);
  private static final int OWNERS_PER_ROUND = 500;
  /** Events one checkpoint transaction walks (its anchor included), at most. */
  static final long MAX_WALK = 50_000;

  private final Database database;
  private final CheckpointSigner signer;
  private final Clock clock;
  private final long maxWalk;
  private final AuditRepository repository = new AuditRepository();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("cairn-audit-checkpointer").factory());

  /** @param attestationKey the Ed25519 keyset (private) checkpoints are signed with */
  public AuditCheckpointer(Database database, KeysetHandle attestationKey, Clock clock) {
    this(database, attestationKey, clock, MAX_WALK);
  }

  /** As above, walking at most {@code maxWalk} events (at least 2: the anchor and one more) per transaction. */
  AuditCheckpointer(Database database, KeysetHandle attestationKey, Clock clock, long maxWalk) {
    if (maxWalk < 2) {
      throw new IllegalArgumentException("maxWalk must be at least 2, was " + maxWalk);
    }
    this.maxWalk = maxWalk;
    this.database = requireNonNull(database, "database");
    this.signer = new CheckpointSigner(requireNonNull(attestationKey, "attestationKey"));
    this.clock = requireNonNull(clock, "clock");
  }

  /** Runs {@link #checkpointOnce} every {@code every} until {@link #close}. */
  public AuditCheckpointer every(Duration every) {
    scheduler.scheduleWithFixedDelay(this::runQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void runQuietly() {
    try {
      int signed = checkpointOnce();
      if (signed > 0) {
        log.info("signed {} audit checkpoints", signed);
      }
    } catch (RuntimeException e) {
      log.warn("audit checkpoint round failed; retrying next round", LoggableErrors.scrub(e));
    }
  }

  /** One round over the owners whose head moved (up to a bound); returns how many were signed. */
  public int checkpointOnce() {
    List<UUID> owners = database.transaction(Principal.anonymous(), sql -> repository.ownersWithUnsignedHeads(sql, OWNERS_PER_ROUND));
    int signed = 0;
    for (UUID owner : owners) {
      signed += checkpoint(owner) ? 1 : 0;
    }
    return signed;
  }

  /**
   * Signs the owner's head, as the owner, if it moved and still extends the last checkpoint:
   * in steps of at most {@code maxWalk} events, one transaction each. True when it signed anything.
   */
  boolean checkpoint(UUID owner) {
    boolean signed = false;
    Step step;
    while ((step = step(owner)) != Step.NONE) {
      signed = true;
      if (step == Step.HEAD) {
        break;
      }
    }
    return signed;
  }

  /** What one transaction signed: nothing (no new events, or a chain it will not vouch for), the head, or a step short of it. */
  private enum Step { NONE, HEAD, PART }

  private Step step(UUID owner) {
    return database.transaction(Principal.system(owner), sql -> {
      var head = repository.head(sql, owner).orElse(null);
      var last = repository.latestCheckpoint(sql, owner).orElse(null);
      if (head == null || (last != null && last.seq() >= head.seq())) {
        return Step.NONE;
      }
      if (last != null && !signer.verifies(owner, last)) {
        return refuse("audit chain of users/{}: its latest checkpoint (seq {}) does not verify; not signing", owner, last.seq());
      }
      long from = last == null ? 1 : last.seq();
      long to = Math.min(head.seq(), from + maxWalk - 1);
      var walker = new ChainWalker(from, last == null ? 0 : last.seq(), last == null ? null : last.hash(), head, null);
      repository.walk(sql, owner, from, to, AuditService.VERIFY_BATCH, walker::accept);
      var result = walker.result(to);
      if (!result.verified()) {
        return refuse("audit chain of users/{} is broken at seq {} ({}); not signing", owner, result.firstBrokenSeq(),
            result.reason());
      }
      if (result.headSeq() != to) {
        // short of the step's end below the head: events are missing (the walker checks the
        // run it saw, and the head only when the step reaches it)
        return refuse("audit chain of users/{} is broken at seq {} (events removed: the chain ends at seq {} but its"
            + " head records seq {}); not signing", owner, result.headSeq() + 1, result.headSeq(), head.seq());
      }
      // at the head, the walker has checked the head row's hash is the event's
      byte[] hash = to == head.seq() ? head.hash() : result.headHash();
      OffsetDateTime now = Now.of(clock);
      byte[] payload = CheckpointSigner.payload(owner, to, hash, now, signer.keyId());
      if (!repository.insertCheckpoint(sql, owner, to, hash, now, signer.keyId(), signer.sign(payload))) {
        return Step.NONE; // another replica signed this seq first: its round goes on from there
      }
      return to == head.seq() ? Step.HEAD : Step.PART;
    });
  }

  /** Logs a chain it will not vouch for, counts it on the metric the alert watches, and signs nothing. */
  private static Step refuse(String message, Object... arguments) {
    log.error(message, arguments);
    Metrics.auditVerificationFailed("checkpoint");
    return Step.NONE;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
