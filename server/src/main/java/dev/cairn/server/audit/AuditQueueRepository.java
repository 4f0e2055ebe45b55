package dev.cairn.server.audit;

import static dev.cairn.server.db.jooq.Tables.AUDIT_HEADS;
import static dev.cairn.server.db.jooq.Tables.AUDIT_PENDING;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The statements that move queued audit events ({@code cairn.audit_pending}) into an owner's
 * hash chain. The chainer's per-round statements are constant SQL text on JDBC (pgjdbc keeps
 * each prepared per connection): rendering them with jOOQ, a multi-row INSERT whose text
 * changed with the batch size, was a quarter of a GetItem's server CPU.
 */
final class AuditQueueRepository {
  private static final String LOCK_HEAD = "select seq, hash from cairn.audit_heads where owner_id = ? for update";
  private static final String LOCK_HEAD_SKIP_LOCKED = LOCK_HEAD + " skip locked";
  private static final String QUEUED =
      "select id, event_time, actor, action, target, via_grant, via_link, via_consent, outcome, details::text,"
          + " request_id from cairn.audit_pending where owner_id = ? order by id limit ?";
  private static final String APPEND =
      "insert into cairn.audit_events (owner_id, seq, event_time, actor, action, target, via_grant, via_link,"
          + " via_consent, outcome, details, request_id, queue_id, prev_hash, hash)"
          + " select ?, e.seq, e.event_time::timestamptz, e.actor, e.action, e.target, e.via_grant, e.via_link,"
          + " e.via_consent, e.outcome, e.details::jsonb, e.request_id, e.queue_id, e.prev_hash, e.hash"
          + " from unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::uuid[], ?::uuid[], ?::uuid[],"
          + " ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bytea[], ?::bytea[])"
          + " as e(seq, event_time, actor, action, target, via_grant, via_link, via_consent, outcome, details,"
          + " request_id, queue_id, prev_hash, hash)";
  private static final String DEQUEUE = "delete from cairn.audit_pending where owner_id = ? and id = any(?::bigint[])";
  private static final String MOVE_HEAD = "update cairn.audit_heads set seq = ?, hash = ? where owner_id = ?";
  private static final String OWNERS_WITH_QUEUED = "select * from cairn.owners_with_pending_audit(?)";

  /**
   * Locks the owner's head row for this transaction: the one chainer of this owner's chain
   * until commit. Empty when another transaction holds it and {@code skipLocked}, or when
   * the owner has no head yet.
   */
  Optional<AuditRepository.Head> lockHead(DSLContext sql, UUID owner, boolean skipLocked) {
    return sql.connectionResult(c -> {
      try (PreparedStatement s = c.prepareStatement(skipLocked ? LOCK_HEAD_SKIP_LOCKED : LOCK_HEAD)) {
        s.setObject(1, owner);
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? Optional.of(new AuditRepository.Head(r.getLong(1), r.getBytes(2))) : Optional.empty();
        }
      }
    });
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
  List<AuditEvents.Queued> queued(DSLContext sql, UUID owner, int limit) {
    return sql.connectionResult(c -> {
      try (PreparedStatement s = c.prepareStatement(QUEUED)) {
        s.setObject(1, owner);
        s.setInt(2, limit);
        var queued = new ArrayList<AuditEvents.Queued>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            queued.add(pending(r));
          }
        }
        return queued;
      }
    });
  }

  private static AuditEvents.Queued pending(ResultSet r) throws SQLException {
    return new AuditEvents.Queued(
        r.getLong(1),
        r.getObject(2, OffsetDateTime.class),
        r.getString(3),
        r.getString(4),
        r.getString(5),
        r.getObject(6, UUID.class),
        r.getObject(7, UUID.class),
        r.getObject(8, UUID.class),
        r.getString(9),
        r.getString(10),
        r.getString(11));
  }

  long countQueued(DSLContext sql, UUID owner) {
    return sql.fetchCount(AUDIT_PENDING, AUDIT_PENDING.OWNER_ID.eq(owner));
  }

  /**
   * Appends {@code events} (already linked and hashed) to the chain, takes them off the
   * queue and moves the head to the last one: three statements, one per batch whatever its
   * size. The DELETE policy admits only queued events now in the chain.
   */
  void link(DSLContext sql, UUID owner, List<AuditEvents.Linked> events) {
    sql.connectionResult(c -> {
      try (PreparedStatement s = c.prepareStatement(APPEND)) {
        bindAppend(c, s, owner, events);
        s.executeUpdate();
      }
      int dequeued;
      try (PreparedStatement s = c.prepareStatement(DEQUEUE)) {
        s.setObject(1, owner);
        s.setArray(2, c.createArrayOf("bigint", events.stream().map(e -> e.event().id()).toArray()));
        dequeued = s.executeUpdate();
      }
      if (dequeued != events.size()) {
        throw new IllegalStateException("audit queue of " + owner + ": " + dequeued + " of " + events.size() + " events dequeued");
      }
      AuditEvents.Linked last = events.getLast();
      try (PreparedStatement s = c.prepareStatement(MOVE_HEAD)) {
        s.setLong(1, last.seq());
        s.setBytes(2, last.hash());
        s.setObject(3, owner);
        s.executeUpdate();
      }
      return null;
    });
  }

  /** One array per column, in APPEND's order: the statement's text is the same whatever the batch size. */
  private static void bindAppend(Connection c, PreparedStatement s, UUID owner, List<AuditEvents.Linked> events)
      throws SQLException {
    int n = events.size();
    Object[] seq = new Object[n], time = new Object[n], actor = new Object[n], action = new Object[n];
    Object[] target = new Object[n], grant = new Object[n], link = new Object[n], consent = new Object[n];
    Object[] outcome = new Object[n], details = new Object[n], request = new Object[n], queueId = new Object[n];
    byte[][] prev = new byte[n][], hash = new byte[n][];
    for (int i = 0; i < n; i++) {
      AuditEvents.Linked linked = events.get(i);
      AuditEvents.Queued e = linked.event();
      seq[i] = linked.seq();
      time[i] = e.time().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME); // the same instant, to the microsecond
      actor[i] = e.actor();
      action[i] = e.action();
      target[i] = e.target();
      grant[i] = e.viaGrant();
      link[i] = e.viaLink();
      consent[i] = e.viaConsent();
      outcome[i] = e.outcome();
      details[i] = e.details(); // as queued, byte for byte
      request[i] = e.requestId();
      queueId[i] = e.id();
      prev[i] = linked.prevHash();
      hash[i] = linked.hash();
    }
    s.setObject(1, owner);
    s.setArray(2, c.createArrayOf("bigint", seq));
    s.setArray(3, c.createArrayOf("text", time));
    s.setArray(4, c.createArrayOf("text", actor));
    s.setArray(5, c.createArrayOf("text", action));
    s.setArray(6, c.createArrayOf("text", target));
    s.setArray(7, c.createArrayOf("uuid", grant));
    s.setArray(8, c.createArrayOf("uuid", link));
    s.setArray(9, c.createArrayOf("uuid", consent));
    s.setArray(10, c.createArrayOf("text", outcome));
    s.setArray(11, c.createArrayOf("text", details));
    s.setArray(12, c.createArrayOf("text", request));
    s.setArray(13, c.createArrayOf("bigint", queueId));
    s.setArray(14, c.createArrayOf("bytea", prev));
    s.setArray(15, c.createArrayOf("bytea", hash));
  }

  /** Owners with queued events, longest waiting first (SECURITY DEFINER: ids only). */
  List<UUID> ownersWithQueued(DSLContext sql, int limit) {
    return sql.connectionResult(c -> {
      try (PreparedStatement s = c.prepareStatement(OWNERS_WITH_QUEUED)) {
        s.setInt(1, limit);
        var owners = new ArrayList<UUID>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            owners.add(r.getObject(1, UUID.class));
          }
        }
        return owners;
      }
    });
  }
}
