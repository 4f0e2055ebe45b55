package dev.cairn.server.vault.items;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.LoggableErrors;
import dev.cairn.server.vault.AuditAction;
import dev.cairn.server.vault.AuditLog.Entry;
import dev.cairn.server.vault.VaultContext;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Purges soft-deleted items whose retention has run out: content chunks, versions, record
 * values and the item row go, and an ITEM_PURGE event is appended to the owner's chain. Also
 * removes chunks of abandoned uploads older than a day. Finds owners through the one
 * SECURITY DEFINER function made for it, then acts as each owner, so row-level security
 * still applies to every delete. Safe with several replicas (rows are taken with SKIP LOCKED).
 */
public final class ItemPurger implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ItemPurger.class);
  private static final int OWNERS_PER_ROUND = 100;
  private static final int ITEMS_PER_OWNER = 500;
  static final Duration ABANDONED_UPLOAD_AGE = Duration.ofDays(1);

  private final VaultContext vault;
  private final ItemRepository repository = new ItemRepository();
  private final ScheduledExecutorService scheduler;

  private ItemPurger(VaultContext vault, ScheduledExecutorService scheduler) {
    this.vault = requireNonNull(vault, "vault");
    this.scheduler = scheduler;
  }

  /** A purger run by hand (tests, tools): {@link #purgeOnce} only. */
  static ItemPurger manual(VaultContext vault) {
    return new ItemPurger(vault, Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory()));
  }

  /** Starts purging every {@code every} on a virtual thread until {@link #close}. */
  public static ItemPurger start(VaultContext vault, Duration every) {
    var scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("cairn-item-purger").factory());
    var purger = new ItemPurger(vault, scheduler);
    scheduler.scheduleWithFixedDelay(purger::runQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return purger;
  }

  private void runQuietly() {
    try {
      int purged = purgeOnce();
      if (purged > 0) {
        log.info("purged {} deleted items past retention", purged);
      }
    } catch (RuntimeException e) {
      log.warn("item purge round failed; retrying next round", LoggableErrors.scrub(e));
    }
  }

  /** One round: every owner with items due (up to a bound); returns how many items went. */
  int purgeOnce() {
    List<UUID> owners = vault.database().transaction(Principal.anonymous(), sql -> {
      var due = Routines.ownersWithPurgeableItems(OWNERS_PER_ROUND);
      return sql.select(due.OWNERS_WITH_PURGEABLE_ITEMS_).from(due).fetch(due.OWNERS_WITH_PURGEABLE_ITEMS_);
    });
    int purged = 0;
    for (UUID owner : owners) {
      purged += purgeOwner(owner);
    }
    return purged;
  }

  /** Purges one owner's due items, acting as that owner, in one transaction. */
  int purgeOwner(UUID owner) {
    return vault.database().transaction(Principal.system(owner), sql -> {
      List<UUID> items = repository.lockPurgeable(sql, owner, ITEMS_PER_OWNER);
      for (UUID item : items) {
        repository.purge(sql, owner, item);
        vault.audit().append(sql, owner, Entry.of("system", AuditAction.ITEM_PURGE, Items.name(item), ""));
      }
      OffsetDateTime cutoff =
          OffsetDateTime.ofInstant(vault.clock().instant().minus(ABANDONED_UPLOAD_AGE), ZoneOffset.UTC);
      repository.deleteAbandonedChunks(sql, owner, cutoff);
      return items.size();
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
