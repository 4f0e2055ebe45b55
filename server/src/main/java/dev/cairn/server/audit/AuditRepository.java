package dev.cairn.server.audit;

import static dev.cairn.server.db.jooq.Tables.AUDIT_CHECKPOINTS;
import static dev.cairn.server.db.jooq.Tables.AUDIT_EVENTS;
import static dev.cairn.server.db.jooq.Tables.AUDIT_HEADS;

import com.google.gson.JsonParser;
import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.AuditEventsRecord;
import dev.cairn.server.audit.AuditLog;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;
import org.jooq.Condition;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * jOOQ queries on one owner's audit chain. Every query names the owner; row-level security
 * lets a transaction read only its own user's events underneath.
 */
final class AuditRepository {

  /** One event reduced to what verification needs: its links and the bytes its hash covers. */
  record Link(long seq, byte[] prevHash, byte[] storedHash, byte[] canonical) {}

  /** The owner's head row: the seq and hash the last append recorded. */
  record Head(long seq, byte[] hash) {}

  /** Newest first, keyset-paged on seq: events older than {@code beforeSeq} when it is set. */
  List<AuditEvents.Event> list(
      DSLContext sql, UUID owner, AuditEvents.Filter filter, @Nullable Long beforeSeq, int limit) {
    Condition condition = AUDIT_EVENTS.OWNER_ID.eq(owner).and(matches(filter));
    if (beforeSeq != null) {
      condition = condition.and(AUDIT_EVENTS.SEQ.lt(beforeSeq));
    }
    return sql.selectFrom(AUDIT_EVENTS)
        .where(condition)
        .orderBy(AUDIT_EVENTS.SEQ.desc())
        .limit(limit)
        .fetch(AuditRepository::event);
  }

  private static Condition matches(AuditEvents.Filter filter) {
    Condition condition = DSL.noCondition();
    if (filter.actor() != null) {
      condition = condition.and(AUDIT_EVENTS.ACTOR.eq(filter.actor()));
    }
    if (filter.target() != null) {
      // the resource and what lies under it (items/x matches items/x/versions/3); startsWith
      // escapes LIKE's wildcards, and '_' is legal in ids
      condition = condition.and(
          AUDIT_EVENTS.TARGET.eq(filter.target()).or(AUDIT_EVENTS.TARGET.startsWith(filter.target() + "/")));
    }
    if (!filter.actions().isEmpty()) {
      condition = condition.and(AUDIT_EVENTS.ACTION.in(filter.actions()));
    }
    AuditEvents.Via via = filter.via();
    if (via != null) {
      condition = condition.and(
          via.id() == null
              ? DSL.falseCondition() // not an id this server issues: nothing can match
              : switch (via.kind()) {
                  case GRANT -> AUDIT_EVENTS.VIA_GRANT.eq(via.id());
                  case LINK -> AUDIT_EVENTS.VIA_LINK.eq(via.id());
                  case CONSENT -> AUDIT_EVENTS.VIA_CONSENT.eq(via.id());
                });
    }
    if (filter.start() != null) {
      condition = condition.and(AUDIT_EVENTS.EVENT_TIME.ge(filter.start()));
    }
    if (filter.end() != null) {
      condition = condition.and(AUDIT_EVENTS.EVENT_TIME.lt(filter.end()));
    }
    return condition;
  }

  /** The owner's latest signed checkpoint. */
  Optional<AuditEvents.Checkpoint> latestCheckpoint(DSLContext sql, UUID owner) {
    return sql.selectFrom(AUDIT_CHECKPOINTS)
        .where(AUDIT_CHECKPOINTS.OWNER_ID.eq(owner))
        .orderBy(AUDIT_CHECKPOINTS.SEQ.desc())
        .limit(1)
        .fetchOptional(r -> new AuditEvents.Checkpoint(r.getSeq(), r.getHash(), r.getSignedAt(), r.getKeyId(), r.getSignature()));
  }

  /** Stores a checkpoint; false when one for that seq exists (another replica signed it). */
  boolean insertCheckpoint(
      DSLContext sql, UUID owner, long seq, byte[] hash, OffsetDateTime signedAt, String keyId, byte[] signature) {
    return sql.insertInto(AUDIT_CHECKPOINTS)
        .set(AUDIT_CHECKPOINTS.OWNER_ID, owner)
        .set(AUDIT_CHECKPOINTS.SEQ, seq)
        .set(AUDIT_CHECKPOINTS.HASH, hash)
        .set(AUDIT_CHECKPOINTS.SIGNED_AT, signedAt)
        .set(AUDIT_CHECKPOINTS.KEY_ID, keyId)
        .set(AUDIT_CHECKPOINTS.SIGNATURE, signature)
        .onConflictDoNothing()
        .execute() == 1;
  }

  Optional<Head> head(DSLContext sql, UUID owner) {
    return sql.select(AUDIT_HEADS.SEQ, AUDIT_HEADS.HASH)
        .from(AUDIT_HEADS)
        .where(AUDIT_HEADS.OWNER_ID.eq(owner))
        .fetchOptional(r -> new Head(r.value1(), r.value2()));
  }

  /**
   * Feeds the owner's events with {@code fromSeq <= seq <= toSeq}, in seq order, to
   * {@code visitor} until it returns false. One statement read through a server-side cursor
   * ({@code batchSize} rows at a time; the pool's connections are not auto-commit, which the
   * PostgreSQL driver needs for that), so a long chain is never held in memory and the walk
   * sees one consistent snapshot.
   */
  void walk(DSLContext sql, UUID owner, long fromSeq, long toSeq, int batchSize, Predicate<Link> visitor) {
    try (Cursor<AuditEventsRecord> cursor =
        sql.selectFrom(AUDIT_EVENTS)
            .where(AUDIT_EVENTS.OWNER_ID.eq(owner))
            .and(AUDIT_EVENTS.SEQ.between(fromSeq, toSeq))
            .orderBy(AUDIT_EVENTS.SEQ)
            .fetchSize(batchSize)
            .fetchLazy()) {
      for (AuditEventsRecord row : cursor) {
        if (!visitor.test(new Link(row.getSeq(), row.getPrevHash(), row.getHash(), canonical(row)))) {
          return;
        }
      }
    }
  }

  /** Owners whose chain head moved since their last signed checkpoint (SECURITY DEFINER: ids only). */
  List<UUID> ownersWithUnsignedHeads(DSLContext sql, int limit) {
    var due = Routines.ownersWithUnsignedHeads(limit);
    return sql.select(due.OWNERS_WITH_UNSIGNED_HEADS_).from(due).fetch(due.OWNERS_WITH_UNSIGNED_HEADS_);
  }

  /** The owner of item {@code item}, whoever may see it (SECURITY DEFINER: the id only); null if none. */
  @Nullable UUID itemOwner(DSLContext sql, UUID item) {
    return Routines.itemOwner(sql.configuration(), item);
  }

  /** The bytes a stored event's hash covers ({@link AuditLog#canonical}), from its row. */
  static byte[] canonical(AuditEventsRecord e) {
    return AuditLog.canonical(e.getOwnerId(), e.getSeq(), e.getEventTime(), e.getActor(), e.getAction(), e.getTarget(),
        e.getViaGrant(), e.getViaLink(), e.getViaConsent(), e.getOutcome(), e.getRequestId(),
        e.getDetails() == null ? null : Jsonb.text(e.getDetails()));
  }

  private static AuditEvents.Event event(AuditEventsRecord r) {
    return new AuditEvents.Event(
        r.getOwnerId(),
        r.getSeq(),
        r.getEventTime(),
        r.getActor(),
        r.getAction(),
        r.getTarget(),
        r.getViaGrant(),
        r.getViaLink(),
        r.getViaConsent(),
        r.getOutcome(),
        details(r.getDetails()),
        r.getRequestId(),
        r.getPrevHash(),
        r.getHash());
  }

  private static Map<String, String> details(@Nullable JSONB json) {
    var map = new TreeMap<String, String>();
    if (json != null) {
      JsonParser.parseString(json.data())
          .getAsJsonObject()
          .entrySet()
          .forEach(e -> map.put(e.getKey(), e.getValue().getAsString()));
    }
    return map;
  }
}
