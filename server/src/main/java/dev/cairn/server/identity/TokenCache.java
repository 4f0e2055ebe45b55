package dev.cairn.server.identity;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.cairn.server.db.NotificationListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A short-lived copy of the token rows authentication reads, kept honest by the database:
 * the V11 triggers NOTIFY {@value #CHANNEL} with the token id (or {@code user:<id>}) when a
 * change commits, and this cache's listener evicts what they name. Before answering from
 * memory it {@linkplain NotificationListener#sync syncs} with the listener, so a revocation
 * or deletion acknowledged before a call began is refused by that call on every replica; an
 * {@linkplain #unsynced unsynced} answer leaves that proof to the call (db.TokenCheck).
 * While the listener is down every lookup goes to the database, and on reconnect the cache
 * is flushed, since notifications sent in the gap were lost.
 *
 * <p>Only what the database returned is cached (the secret's hash, never the secret); the
 * caller still compares the hash and judges expiry on every call.
 */
public final class TokenCache implements AutoCloseable {
  public static final String CHANNEL = "cairn_auth";
  /** How often an idle listener proves its connection alive (and drains notifications). */
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);
  /** A sync slower than this falls back to the database rather than hold the call. */
  private static final Duration SYNC_WAIT = Duration.ofSeconds(1);
  /** Entries are small (a few hundred bytes); this bounds a flood of distinct valid tokens. */
  private static final long MAX_TOKENS = 100_000;
  private static final String USER_PREFIX = "user:";
  private static final Logger log = LoggerFactory.getLogger(TokenCache.class);

  private final @Nullable Cache<UUID, StoredToken> cache;
  private final @Nullable NotificationListener listener;
  /** Moves on every invalidation, so a load that raced one does not stay cached. */
  private final AtomicLong generation = new AtomicLong();
  private final Counter hits;
  private final Counter misses;
  private final Counter bypassed;
  private final Counter deferred;
  private final Counter tokenInvalidations;
  private final Counter userInvalidations;
  private final Counter flushes;
  private final Timer syncs;

  private TokenCache(
      Duration ttl, Clock clock, MeterRegistry metrics, NotificationListener.@Nullable Connector connector) {
    this.hits = lookups(metrics, "hit");
    this.misses = lookups(metrics, "miss");
    this.bypassed = lookups(metrics, "bypass");
    this.deferred = lookups(metrics, "deferred");
    this.tokenInvalidations = invalidations(metrics, "token");
    this.userInvalidations = invalidations(metrics, "user");
    this.flushes = invalidations(metrics, "all");
    this.syncs =
        Timer.builder("cairn.auth.cache.sync")
            .description("waits for the listener's round trip before a cached answer")
            .register(metrics);
    if (connector == null) {
      this.cache = null;
      this.listener = null;
    } else {
      this.cache =
          Caffeine.newBuilder()
              .maximumSize(MAX_TOKENS)
              .expireAfterWrite(ttl)
              .ticker(ticker(clock))
              .build();
      this.listener = NotificationListener.start(connector, CHANNEL, new Invalidations(), HEARTBEAT, metrics);
    }
    Gauge.builder("cairn.auth.cache.serving", this, c -> c.listener != null && c.listener.listening() ? 1 : 0)
        .description("1 while the cache may answer (its listener is in LISTEN), else 0")
        .register(metrics);
    Gauge.builder("cairn.auth.cache.size", this, c -> c.cache == null ? 0 : c.cache.estimatedSize())
        .description("token entries held")
        .register(metrics);
  }

  /**
   * Starts the cache and its listener on {@code connector}'s dedicated connection.
   *
   * @param ttl how long an entry may be kept; zero disables caching (and listening)
   * @param clock the server's clock, also the cache's ticker (so fake-clock tests expire entries)
   */
  public static TokenCache start(
      Duration ttl, Clock clock, MeterRegistry metrics, NotificationListener.Connector connector) {
    requireNonNull(ttl, "ttl");
    requireNonNull(clock, "clock");
    requireNonNull(connector, "connector");
    return new TokenCache(ttl, clock, metrics, ttl.isZero() ? null : connector);
  }

  /**
   * The token row: from memory when the listener confirms nothing newer was committed, else
   * from {@code load} (the database). A loaded row is kept unless an invalidation arrived
   * while it was being read.
   */
  Optional<StoredToken> find(UUID tokenId, Function<UUID, Optional<StoredToken>> load) {
    return find(tokenId, load, true);
  }

  /**
   * As {@link #find}, for the barrier of a call whose lookup was {@link #unsynced}: that lookup
   * was its hit, so a cached answer here is not counted again.
   */
  Optional<StoredToken> confirm(UUID tokenId, Function<UUID, Optional<StoredToken>> load) {
    return find(tokenId, load, false);
  }

  private Optional<StoredToken> find(UUID tokenId, Function<UUID, Optional<StoredToken>> load, boolean lookup) {
    Cache<UUID, StoredToken> entries = cache;
    NotificationListener invalidations = listener;
    if (entries == null || invalidations == null || !invalidations.listening()) {
      bypassed.increment();
      return load.apply(tokenId);
    }
    if (entries.getIfPresent(tokenId) != null) {
      long start = System.nanoTime();
      boolean synced = invalidations.sync(SYNC_WAIT);
      syncs.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
      if (!synced) {
        bypassed.increment();
        return load.apply(tokenId);
      }
      // read again: the sync may just have evicted it
      StoredToken cached = entries.getIfPresent(tokenId);
      if (cached != null) {
        if (lookup) {
          hits.increment();
        }
        return Optional.of(cached);
      }
    }
    misses.increment();
    long before = generation.get();
    Optional<StoredToken> loaded = load.apply(tokenId);
    loaded.ifPresent(
        token -> {
          entries.put(tokenId, token);
          // put first, then check: an invalidation after this check evicts the entry itself
          if (generation.get() != before) {
            entries.asMap().remove(tokenId, token);
          }
        });
    return loaded;
  }

  /**
   * The cached entry for {@code tokenId} without a sync, while the listener is in LISTEN, for a
   * call that proves it fresh later (a statement's check of the token, or {@link #find} before it
   * answers: see {@code db.TokenCheck}). Empty when not cached or when the cache may not serve.
   */
  Optional<StoredToken> unsynced(UUID tokenId) {
    Optional<StoredToken> cached = serving(tokenId);
    if (cached.isPresent()) {
      hits.increment();
      deferred.increment();
    }
    return cached;
  }

  /**
   * The cached entry for {@code tokenId}, without a sync, while the listener is in LISTEN: for
   * what a call reads after its own authentication synced (see {@link
   * TokenAuthenticator#ownProfile}). Empty when not cached or when the cache may not serve.
   */
  Optional<StoredToken> serving(UUID tokenId) {
    Cache<UUID, StoredToken> entries = cache;
    NotificationListener invalidations = listener;
    if (entries == null || invalidations == null || !invalidations.listening()) {
      return Optional.empty();
    }
    return Optional.ofNullable(entries.getIfPresent(tokenId));
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close();
    }
  }

  /** What the listener reports, applied to the cache. */
  private final class Invalidations implements NotificationListener.Subscriber {
    @Override
    public void subscribed() {
      flush();
    }

    @Override
    public void lost() {
      flush();
    }

    @Override
    public void notified(String payload) {
      Cache<UUID, StoredToken> entries = requireNonNull(cache, "cache");
      generation.incrementAndGet();
      try {
        if (payload.startsWith(USER_PREFIX)) {
          UUID userId = UUID.fromString(payload.substring(USER_PREFIX.length()));
          entries.asMap().values().removeIf(token -> token.ownerId().equals(userId));
          userInvalidations.increment();
        } else {
          entries.invalidate(UUID.fromString(payload));
          tokenInvalidations.increment();
        }
      } catch (IllegalArgumentException e) {
        // not a message this version understands: the safe reading is "anything changed"
        log.warn("unrecognised {} notification; flushing the token cache", CHANNEL);
        flush();
      }
    }

    private void flush() {
      generation.incrementAndGet();
      requireNonNull(cache, "cache").invalidateAll();
      flushes.increment();
    }
  }

  private static Ticker ticker(Clock clock) {
    return () -> {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
  }

  private static Counter lookups(MeterRegistry metrics, String result) {
    return Counter.builder("cairn.auth.cache.lookups")
        .description("token lookups: hit and miss while the cache serves, bypass while it may not;"
            + " deferred: the hits answered from memory at once, proven fresh later in the call")
        .tag("result", result)
        .register(metrics);
  }

  private static Counter invalidations(MeterRegistry metrics, String scope) {
    return Counter.builder("cairn.auth.cache.invalidations")
        .description("evictions on notification (token, user) and whole flushes (all)")
        .tag("scope", scope)
        .register(metrics);
  }
}
