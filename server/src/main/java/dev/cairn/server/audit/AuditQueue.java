package dev.cairn.server.audit;

import static dev.cairn.server.db.jooq.Tables.AUDIT_EVENTS;
import static dev.cairn.server.db.jooq.Tables.AUDIT_HEADS;
import static dev.cairn.server.db.jooq.Tables.AUDIT_PENDING;

import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.AuditEventsRecord;
import dev.cairn.server.db.jooq.tables.records.AuditPendingRecord;
import dev.cairn.server.audit.AuditLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * jOOQ queries that move queued audit events ({@code cairn.audit_pending}) into an owner's
 * hash chain. Every statement carries bind values (prepared, planned once per connection).
 */
final class AuditQueue {

  /**
   * Locks the owner's head row for this transaction: the one chainer of this owner's chain
   * until commit. Empty when another transaction holds it and {@code skipLocked}, or when
   * the owner has no head yet.
   */
  Optional<AuditRepository.Head> lockHead(DSLContext sql, UUID owner, boolean skipLocked) {
    var select = sql.select(AUDIT_HEADS.SEQ, AUDIT_HEADS.HASH)
        .from(AUDIT_HEADS)
        .where(AUDIT_HEADS.OWNER_ID.eq(owner))
        .forUpdate();
    return (skipLocked ? select.skipLocked() : select).fetchOptional(r -> new AuditRepository.Head(r.value1(), r.value2()));
  }

  /** The owner's first head row (seq 0, genesis hash); nothing when another made it meanwhile. */
  void createHead(DSLContext sql, UUID owner) {
    sql.insertInto(AUDIT_HEADS)
        .set(AUDIT_HEADS.OWNER_ID, owner)
        .set(AUDIT_HEADS.SEQ, 0L)
        .set(AUDIT_HEADS.HASH, AuditLog.GENESIS)
        .onConflictDoNothing()
        .execute();
  }

  boolean anyQueued(DSLContext sql, UUID owner) {
    return sql.fetchExists(sql.selectOne().from(AUDIT_PENDING).where(AUDIT_PENDING.OWNER_ID.eq(owner)));
  }

  /** The owner's queued events visible to this statement, in queue order, at most {@code limit}. */
  List<AuditPendingRecord> queued(DSLContext sql, UUID owner, int limit) {
    return sql.selectFrom(AUDIT_PENDING)
        .where(AUDIT_PENDING.OWNER_ID.eq(owner))
        .orderBy(AUDIT_PENDING.ID)
        .limit(limit)
        .fetch();
  }

  long countQueued(DSLContext sql, UUID owner) {
    return sql.fetchCount(AUDIT_PENDING, AUDIT_PENDING.OWNER_ID.eq(owner));
  }

  /**
   * Appends {@code events} (already linked and hashed) to the chain, takes them off the
   * queue and moves the head to the last one: three statements, one per batch whatever its
   * size. The DELETE policy admits only queued events now in the chain.
   */
  void link(DSLContext sql, UUID owner, List<AuditEventsRecord> events) {
    var insert = sql.insertInto(AUDIT_EVENTS).set(events.getFirst());
    for (AuditEventsRecord e : events.subList(1, events.size())) {
      insert = insert.newRecord().set(e);
    }
    insert.execute();
    List<Long> ids = new ArrayList<>(events.size());
    events.forEach(e -> ids.add(e.getQueueId()));
    int dequeued = sql.deleteFrom(AUDIT_PENDING)
        .where(AUDIT_PENDING.OWNER_ID.eq(owner))
        .and(AUDIT_PENDING.ID.eq(DSL.any(ids.toArray(Long[]::new))))
        .execute();
    if (dequeued != events.size()) {
      throw new IllegalStateException("audit queue of " + owner + ": " + dequeued + " of " + events.size() + " events dequeued");
    }
    AuditEventsRecord last = events.getLast();
    sql.update(AUDIT_HEADS)
        .set(AUDIT_HEADS.SEQ, last.getSeq())
        .set(AUDIT_HEADS.HASH, last.getHash())
        .where(AUDIT_HEADS.OWNER_ID.eq(owner))
        .execute();
  }

  /** Owners with queued events, longest waiting first (SECURITY DEFINER: ids only). */
  List<UUID> ownersWithQueued(DSLContext sql, int limit) {
    var due = Routines.ownersWithPendingAudit(limit);
    return sql.select(due.OWNERS_WITH_PENDING_AUDIT_).from(due).fetch(due.OWNERS_WITH_PENDING_AUDIT_);
  }
}
