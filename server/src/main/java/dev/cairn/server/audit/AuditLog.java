package dev.cairn.server.audit;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Now;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Records events in an owner's tamper-evident audit log, inside the caller's transaction: if
 * the record fails, so does the action it records, and once the action commits, so has its
 * event. The event is queued ({@code cairn.audit_pending}, one prepared INSERT): the action
 * neither reads nor locks the owner's chain head, so one owner's concurrent calls do not
 * queue behind each other. The chainer ({@link AuditChainer}) links queued
 * events into the hash chain shortly after, with {@link #canonical} and {@link #hash}.
 * Sensitive detail values are stored as HMAC-SHA256 (under a server key), so the log can
 * prove "this value" without storing it.
 */
public final class AuditLog {
  /** The prev_hash of an owner's first event. */
  public static final byte[] GENESIS = new byte[32];
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  private final byte[] hmacKey;
  private final Clock clock;
  /** Wakes the chainer when an event was queued (set once, by the chainer). */
  private volatile Runnable queued = () -> {};

  public AuditLog(byte[] hmacKey, Clock clock) {
    this.hmacKey = requireNonNull(hmacKey, "hmacKey").clone();
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * One event to record.
   *
   * @param actor {@code users/{id}}, {@code accessLinks/{id}} or {@code anonymous}
   * @param action what happened
   * @param target the resource acted on, e.g. {@code items/{id}}
   * @param details plain facts (media type, version...)
   * @param sensitive facts stored only as HMACs (under the key {@code <name>_hmac})
   */
  public record Entry(
      String actor,
      AuditAction action,
      String target,
      @Nullable UUID viaGrant,
      @Nullable UUID viaLink,
      @Nullable UUID viaConsent,
      String outcome,
      Map<String, String> details,
      Map<String, String> sensitive,
      String requestId) {

    public Entry {
      requireNonNull(action, "action");
      details = Map.copyOf(details);
      sensitive = Map.copyOf(sensitive);
    }

    /** A successful action with no grant, link or consent involved. */
    public static Entry of(String actor, AuditAction action, String target, String requestId) {
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
   * Records {@code entry} in {@code owner}'s log, in the caller's transaction: one INSERT with
   * bind values into the queue, no lock held beyond the row itself. It gets its seq and hash
   * when the chainer links it (ListAuditEvents and VerifyAuditLog link what is queued first).
   */
  /**
   * The queue insert, on every audited call: one constant statement with bind values that
   * pgjdbc keeps prepared per connection (jOOQ rendered the same INSERT anew each time).
   */
  private static final String QUEUE_EVENT =
      "insert into cairn.audit_pending (owner_id, event_time, actor, action, target, via_grant,"
          + " via_link, via_consent, outcome, details, request_id)"
          + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, cast(? as jsonb), ?)";

  public void append(DSLContext sql, UUID owner, Entry entry) {
    appendAll(sql, List.of(Map.entry(requireNonNull(owner, "owner"), entry)));
  }

  /**
   * Records each (owner, entry) as {@link #append} does, as one JDBC batch of the prepared queue
   * insert: pgjdbc sends a batch with a single sync, so a search's or a chat answer's several
   * hits cost one round trip instead of one per hit.
   */
  public void appendAll(DSLContext sql, List<Map.Entry<UUID, Entry>> events) {
    if (events.isEmpty()) {
      return;
    }
    OffsetDateTime at = Now.of(clock);
    sql.connection(c -> {
      try (PreparedStatement insert = c.prepareStatement(QUEUE_EVENT)) {
        for (Map.Entry<UUID, Entry> event : events) {
          Entry entry = event.getValue();
          var details = new TreeMap<>(entry.details());
          entry.sensitive().forEach((k, v) -> details.put(k + "_hmac", hmac(v)));
          insert.setObject(1, requireNonNull(event.getKey(), "owner"));
          insert.setObject(2, at);
          insert.setString(3, entry.actor());
          insert.setString(4, entry.action().name());
          insert.setString(5, entry.target());
          insert.setObject(6, entry.viaGrant());
          insert.setObject(7, entry.viaLink());
          insert.setObject(8, entry.viaConsent());
          insert.setString(9, entry.outcome());
          insert.setString(10, json(details));
          insert.setString(11, entry.requestId());
          if (events.size() == 1) {
            insert.executeUpdate();
          } else {
            insert.addBatch();
          }
        }
        if (events.size() > 1) {
          insert.executeBatch();
        }
      }
    });
    // before the commit, so the chainer may find nothing yet; it then finds it on its next poll
    queued.run();
  }

  /** Tells the chainer that a statement of the caller's own (e.g. cairn.read_item) queued an event. */
  public void queuedBySql() {
    queued.run();
  }

  /** Registers what to run when an event was queued (the chainer's wake-up); replaces the last. */
  public void whenQueued(Runnable nudge) {
    this.queued = requireNonNull(nudge, "nudge");
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
   * order, as documented on {@code AuditEvent.hash}. {@code details} is the event's JSON
   * object as stored (null: none).
   */
  static byte[] canonical(
      UUID owner, long seq, OffsetDateTime time, String actor, String action, String target,
      @Nullable UUID viaGrant, @Nullable UUID viaLink, @Nullable UUID viaConsent, String outcome,
      String requestId, @Nullable String details) {
    var out = new StringBuilder("cairn-audit-v1\n");
    line(out, owner);
    line(out, seq);
    line(out, TIME.format(time.withOffsetSameInstant(ZoneOffset.UTC)));
    line(out, actor);
    line(out, action);
    line(out, target);
    line(out, viaGrant);
    line(out, viaLink);
    line(out, viaConsent);
    line(out, outcome);
    line(out, requestId);
    line(out, json(sortedDetails(details)));
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The canonical bytes of a queued event as link {@code seq} of {@code owner}'s chain. */
  static byte[] canonical(UUID owner, long seq, AuditEvents.Queued e) {
    return canonical(owner, seq, e.time(), e.actor(), e.action(), e.target(), e.viaGrant(), e.viaLink(),
        e.viaConsent(), e.outcome(), e.requestId(), e.details());
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

  private static TreeMap<String, String> sortedDetails(@Nullable String details) {
    var map = new TreeMap<String, String>();
    if (details == null) {
      return map;
    }
    var parsed = com.google.gson.JsonParser.parseString(details).getAsJsonObject();
    parsed.entrySet().forEach(en -> map.put(en.getKey(), en.getValue().getAsString()));
    return map;
  }

  /** Sorted, compact JSON of string pairs. */
  public static String json(Map<String, String> sorted) {
    var obj = new com.google.gson.JsonObject();
    new TreeMap<>(sorted).forEach(obj::addProperty);
    return obj.toString();
  }
}
