package dev.cairn.server.vault.items;

import dev.cairn.server.content.ContentStore;
import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Now;
import dev.cairn.server.core.Principal;
import dev.cairn.server.jobs.Job;
import dev.cairn.server.jobs.JobHandler;
import dev.cairn.server.jobs.JobQueue;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog.Entry;
import dev.cairn.server.vault.VaultContext;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Purges soft-deleted items whose retention has run out: content segments, versions, record
 * values and the item row go, and an ITEM_PURGE event is appended to the owner's chain. Also
 * removes segments of abandoned uploads older than a day, and expired resumable uploads. It runs as jobs: {@link #enqueueDue}
 * (called periodically on every replica) finds owners with items due through the one SECURITY
 * DEFINER function made for it and enqueues one {@value #KIND} job per owner, deduplicated by
 * owner; the {@link #handler} then acts as that owner, so row-level security still applies
 * to every delete. Items are taken with SKIP LOCKED, so concurrent purges never collide.
 */
public final class ItemPurger {
  private static final Logger log = LoggerFactory.getLogger(ItemPurger.class);
  /** The job kind: purge one owner's items past retention. */
  public static final String KIND = "purge-owner";
  private static final int OWNERS_PER_ROUND = 100;
  private static final int ITEMS_PER_OWNER = 500;
  /** Batches one job purges before it leaves the rest to the next round's job. */
  private static final int BATCHES_PER_JOB = 20;
  static final Duration ABANDONED_UPLOAD_AGE = Duration.ofDays(1);

  private final VaultContext vault;
  private final ItemRepository repository = new ItemRepository();
  private final ContentStore content;
  private final UploadRepository uploads = new UploadRepository();

  public ItemPurger(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
    this.content = vault.contentStore();
  }

  /** Enqueues a purge job for each owner with items due (up to a bound); returns how many were added. */
  public int enqueueDue(JobQueue queue) {
    List<UUID> owners = vault.database().transaction(
        Principal.anonymous(), sql -> repository.ownersWithPurgeableItems(sql, OWNERS_PER_ROUND));
    int added = 0;
    for (UUID owner : owners) {
      Job job = Job.of(KIND, owner).withDedupeKey(owner.toString());
      added += vault.database().transaction(Principal.system(owner), sql -> queue.enqueue(sql, job)) ? 1 : 0;
    }
    if (added > 0) {
      log.info("enqueued item purges for {} owners", added);
    }
    return added;
  }

  /** Runs {@value #KIND} jobs: the owner's due items, in batches of one transaction each. */
  public JobHandler handler() {
    return JobHandler.of(KIND, job -> {
      UUID owner = job.requireOwner();
      int purged = 0;
      for (int batch = 0; batch < BATCHES_PER_JOB; batch++) {
        int n = purgeOwner(owner);
        purged += n;
        if (n < ITEMS_PER_OWNER) {
          break;
        }
      }
      if (purged > 0) {
        log.info("purged {} deleted items past retention of users/{}", purged, owner);
      }
    });
  }

  /** Removes the owner's expired resumable uploads and what they staged (a completed one's blob is a version's: kept). */
  private void purgeExpiredUploads(org.jooq.DSLContext sql, UUID owner) {
    OffsetDateTime now = Now.of(vault.clock());
    var expired = uploads.lockExpired(sql, owner, now, ITEMS_PER_OWNER);
    for (var row : expired) {
      content.deleteUnattachedBlob(sql, owner, row.blobId());
      uploads.delete(sql, owner, row.id());
    }
    if (!expired.isEmpty()) {
      log.info("purged {} expired uploads of users/{}", expired.size(), owner);
    }
  }

  /** Purges one batch of the owner's due items, acting as that owner, in one transaction. */
  int purgeOwner(UUID owner) {
    return vault.database().transaction(Principal.system(owner), sql -> {
      List<UUID> items = repository.lockPurgeable(sql, owner, ITEMS_PER_OWNER);
      for (UUID item : items) {
        content.deleteItemContent(sql, owner, item);
        repository.purge(sql, owner, item);
        vault.audit().append(sql, owner, Entry.of("system", AuditAction.ITEM_PURGE, Items.name(item), ""));
      }
      OffsetDateTime cutoff =
          Now.of(vault.clock()).minus(ABANDONED_UPLOAD_AGE);
      content.deleteAbandonedSegments(sql, owner, cutoff);
      purgeExpiredUploads(sql, owner);
      return items.size();
    });
  }
}
