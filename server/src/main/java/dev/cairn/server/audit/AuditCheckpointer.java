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
 * Safe with several replicas (a checkpoint is keyed by owner and seq; a duplicate is skipped).
 */
public final class AuditCheckpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditCheckpointer.class);
  private static final int OWNERS_PER_ROUND = 500;

  private final Database database;
  private final CheckpointSigner signer;
  private final Clock clock;
  private final AuditRepository repository = new AuditRepository();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("cairn-audit-checkpointer").factory());

  /** @param attestationKey the Ed25519 keyset (private) checkpoints are signed with */
  public AuditCheckpointer(Database database, KeysetHandle attestationKey, Clock clock) {
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

  /** Signs the owner's head, as the owner, if it moved and still extends the last checkpoint. */
  boolean checkpoint(UUID owner) {
    return database.transaction(Principal.system(owner), sql -> {
      var head = repository.head(sql, owner).orElse(null);
      var last = repository.latestCheckpoint(sql, owner).orElse(null);
      if (head == null || (last != null && last.seq() >= head.seq())) {
        return false;
      }
      if (last != null && !signer.verifies(owner, last)) {
        log.error("audit chain of users/{}: its latest checkpoint (seq {}) does not verify; not signing", owner, last.seq());
        Metrics.auditVerificationFailed("checkpoint");
        return false;
      }
      long from = last == null ? 1 : last.seq();
      var walker = new ChainWalker(from, last == null ? 0 : last.seq(), last == null ? null : last.hash(), head, null);
      repository.walk(sql, owner, from, head.seq(), AuditService.VERIFY_BATCH, walker::accept);
      var result = walker.result(head.seq());
      if (!result.verified()) {
        log.error("audit chain of users/{} is broken at seq {} ({}); not signing", owner, result.firstBrokenSeq(), result.reason());
        Metrics.auditVerificationFailed("checkpoint");
        return false;
      }
      OffsetDateTime now = Now.of(clock);
      byte[] payload = CheckpointSigner.payload(owner, head.seq(), head.hash(), now, signer.keyId());
      return repository.insertCheckpoint(sql, owner, head.seq(), head.hash(), now, signer.keyId(), signer.sign(payload));
    });
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
