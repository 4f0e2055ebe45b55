package dev.cairn.server.vault;

import static dev.cairn.server.db.jooq.Tables.AUDIT_EVENTS;
import static dev.cairn.server.db.jooq.Tables.AUDIT_HEADS;
import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.jooq.tables.records.AuditEventsRecord;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jspecify.annotations.Nullable;

/**
 * Appends to an owner's tamper-evident audit chain, inside the caller's transaction: if the
 * append fails, so does the action it records. The owner's head row is locked for the
 * append ({@code SELECT ... FOR UPDATE}), so concurrent actions on one owner's data queue
 * up and the chain never forks. Sensitive detail values are stored as HMAC-SHA256 (under a
 * server key), so the log can prove "this value" without storing it.
 */
public final class AuditLog {
  static final byte[] GENESIS = new byte[32];
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  private final byte[] hmacKey;
  private final Clock clock;

  public AuditLog(byte[] hmacKey, Clock clock) {
    this.hmacKey = requireNonNull(hmacKey, "hmacKey").clone();
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * One event to record.
   *
   * @param actor {@code users/{id}}, {@code accessLinks/{id}} or {@code anonymous}
   * @param action an {@code AuditEvent.Action} name without its prefix, e.g. {@code ITEM_READ}
   * @param target the resource acted on, e.g. {@code items/{id}}
   * @param details plain facts (media type, version...)
   * @param sensitive facts stored only as HMACs (under the key {@code <name>_hmac})
   */
  public record Entry(
      String actor,
      String action,
      String target,
      @Nullable UUID viaGrant,
      @Nullable UUID viaLink,
      @Nullable UUID viaConsent,
      String outcome,
      Map<String, String> details,
      Map<String, String> sensitive,
      String requestId) {

    public Entry {
      details = Map.copyOf(details);
      sensitive = Map.copyOf(sensitive);
    }

    /** A successful action with no grant, link or consent involved. */
    public static Entry of(String actor, String action, String target, String requestId) {
      return new Entry(actor, action, target, null, null, null, "OK", Map.of(), Map.of(), requestId);
    }

    public Entry withVia(@Nullable UUID grant, @Nullable UUID link, @Nullable UUID consent) {
      return new Entry(actor, action, target, grant, link, consent, outcome, details, sensitive, requestId);
    }

    public Entry withOutcome(String newOutcome) {
      return new Entry(actor, action, target, viaGrant, viaLink, viaConsent, newOutcome, details, sensitive, requestId);
    }

    public Entry withDetails(Map<String, String> more) {
      var merged = new TreeMap<>(details);
      merged.putAll(more);
      return new Entry(actor, action, target, viaGrant, viaLink, viaConsent, outcome, merged, sensitive, requestId);
    }

    public Entry withSensitive(Map<String, String> more) {
      var merged = new TreeMap<>(sensitive);
      merged.putAll(more);
      return new Entry(actor, action, target, viaGrant, viaLink, viaConsent, outcome, details, merged, requestId);
    }
  }

  /**
   * Appends {@code entry} to {@code owner}'s chain; returns its sequence number. Call it last
   * in the action's transaction: from the head update on, the owner's other actions queue
   * behind this one until it commits, which keeps the chain linear. Two round trips.
   */
  public long append(DSLContext sql, UUID owner, Entry entry) {
    var head = advanceHead(sql, owner);
    if (head == null) {
      sql.insertInto(AUDIT_HEADS)
          .set(AUDIT_HEADS.OWNER_ID, owner)
          .set(AUDIT_HEADS.SEQ, 0L)
          .set(AUDIT_HEADS.HASH, GENESIS)
          .onConflictDoNothing()
          .execute();
      head = advanceHead(sql, owner);
      if (head == null) {
        throw new IllegalStateException("audit head of " + owner + " vanished");
      }
    }
    long seq = head.value1();
    byte[] prevHash = head.value2();
    OffsetDateTime time = OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    var details = new TreeMap<>(entry.details());
    entry.sensitive().forEach((k, v) -> details.put(k + "_hmac", hmac(v)));
    var row = sql.newRecord(AUDIT_EVENTS);
    row.setOwnerId(owner);
    row.setSeq(seq);
    row.setEventTime(time);
    row.setActor(entry.actor());
    row.setAction(entry.action());
    row.setTarget(entry.target());
    row.setViaGrant(entry.viaGrant());
    row.setViaLink(entry.viaLink());
    row.setViaConsent(entry.viaConsent());
    row.setOutcome(entry.outcome());
    row.setDetails(JSONB.valueOf(json(details)));
    row.setRequestId(entry.requestId());
    row.setPrevHash(prevHash);
    row.setHash(hash(prevHash, canonical(row)));
    // the event and the head's new hash go in one round trip
    sql.batch(
            sql.insertInto(AUDIT_EVENTS).set(row),
            sql.update(AUDIT_HEADS).set(AUDIT_HEADS.HASH, row.getHash()).where(AUDIT_HEADS.OWNER_ID.eq(owner)))
        .execute();
    return seq;
  }

  /**
   * Takes the next sequence number of the owner's chain and the previous event's hash in one
   * statement; the row lock it takes serialises appends to this chain until commit.
   */
  private static org.jooq.@Nullable Record2<Long, byte[]> advanceHead(DSLContext sql, UUID owner) {
    return sql.update(AUDIT_HEADS)
        .set(AUDIT_HEADS.SEQ, AUDIT_HEADS.SEQ.plus(1L))
        .where(AUDIT_HEADS.OWNER_ID.eq(owner))
        .returningResult(AUDIT_HEADS.SEQ, AUDIT_HEADS.HASH)
        .fetchOne();
  }

  /** HMAC-SHA256 of a sensitive value, hex. */
  public String hmac(String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }

  /**
   * The canonical bytes of an event (what its hash covers): one line per field, in a fixed
   * order, as documented on {@code AuditEvent.hash}.
   */
  public static byte[] canonical(AuditEventsRecord e) {
    var out = new StringBuilder("cairn-audit-v1\n");
    line(out, e.getOwnerId());
    line(out, e.getSeq());
    line(out, TIME.format(e.getEventTime().withOffsetSameInstant(ZoneOffset.UTC)));
    line(out, e.getActor());
    line(out, e.getAction());
    line(out, e.getTarget());
    line(out, e.getViaGrant());
    line(out, e.getViaLink());
    line(out, e.getViaConsent());
    line(out, e.getOutcome());
    line(out, e.getRequestId());
    line(out, json(sortedDetails(e.getDetails())));
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** SHA-256(prev ‖ canonical). */
  public static byte[] hash(byte[] prev, byte[] canonical) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(prev);
      sha.update(canonical);
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void line(StringBuilder out, @Nullable Object value) {
    out.append(value == null ? "" : value.toString()).append('\n');
  }

  private static TreeMap<String, String> sortedDetails(@Nullable JSONB details) {
    var map = new TreeMap<String, String>();
    if (details == null) {
      return map;
    }
    var parsed = com.google.gson.JsonParser.parseString(details.data()).getAsJsonObject();
    parsed.entrySet().forEach(en -> map.put(en.getKey(), en.getValue().getAsString()));
    return map;
  }

  /** Sorted, compact JSON of string pairs. */
  static String json(Map<String, String> sorted) {
    var obj = new com.google.gson.JsonObject();
    new TreeMap<>(sorted).forEach(obj::addProperty);
    return obj.toString();
  }
}
