package dev.cairn.server.crypto;

import static dev.cairn.server.db.jooq.Tables.DATA_KEYS;
import static java.util.Objects.requireNonNull;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.cairn.server.db.jooq.tables.records.DataKeysRecord;
import dev.cairn.server.core.CairnException;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * Each owner's data key: a Tink AES-256-GCM keyset made on first use, stored only wrapped by
 * the KEK. Deleting the row destroys every ciphertext of that owner (crypto-shredding):
 * the rows may stay, in the database and in backups, but nothing can decrypt them.
 */
public final class DataKeys {
  private final KeyEncryptionKeys keks;

  /**
   * Unwrapped keys by owner, keyed also by the wrapped bytes they came from: the row is still
   * read on every use (so a shredded or re-wrapped key is noticed at once), only the unwrap is
   * saved. Bounded; destroy() drops the owner's entry.
   */
  private final Map<UUID, Unwrapped> unwrapped =
      Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<UUID, Unwrapped> eldest) {
              return size() > 10_000;
            }
          });

  private record Unwrapped(long kekId, byte[] wrapped, Aead aead) {}

  public DataKeys(KeyEncryptionKeys keks) {
    this.keks = requireNonNull(keks, "keks");
  }

  /**
   * The owner's AEAD, creating the key if the owner has none yet. Runs inside the caller's
   * transaction; RLS lets the owner (and holders of a live grant from them) read the row.
   */
  public Aead forOwner(DSLContext sql, UUID owner) {
    Aead read = readInTransaction(sql, owner);
    if (read != null) {
      return read;
    }
    DataKeysRecord row = sql.selectFrom(DATA_KEYS).where(DATA_KEYS.OWNER_ID.eq(owner)).fetchOne();
    if (row == null) {
      row = create(sql, owner);
    }
    return remember(sql, owner, cachedUnwrap(row));
  }

  /**
   * The owner's key as this transaction already read it, if it did. A transaction reads a key
   * row once (a chat answer's retrieval decrypts the hits and encrypts the citations with the
   * same owner's key): {@code sql} is one transaction's (Database makes a DSLContext per
   * transaction, under one principal), so a later transaction still reads the row again and sees
   * a shredded or re-wrapped key at once. The memo lives in the DSLContext's own data.
   */
  private static @Nullable Aead readInTransaction(DSLContext sql, UUID owner) {
    return sql.data(memoKey(owner)) instanceof Aead aead ? aead : null;
  }

  private static Aead remember(DSLContext sql, UUID owner, Aead aead) {
    sql.data(memoKey(owner), aead);
    return aead;
  }

  private static String memoKey(UUID owner) {
    return "cairn.data_key." + owner;
  }

  private Aead cachedUnwrap(DataKeysRecord row) {
    return unwrap(row.getOwnerId(), new Wrapped(row.getKekId(), row.getWrappedKeyset()));
  }

  /** An owner's data key as its row holds it: the KEK's id and the wrapped keyset. */
  public record Wrapped(long kekId, byte[] keyset) {}

  /**
   * The owner's AEAD from a key row the caller's own statement read (under its row-level
   * security), as {@link #existing} would return it; the unwrap is cached the same way.
   */
  public Aead unwrap(UUID owner, Wrapped key) {
    Unwrapped hit = unwrapped.get(owner);
    if (hit != null && hit.kekId() == key.kekId() && Arrays.equals(hit.wrapped(), key.keyset())) {
      return hit.aead();
    }
    Aead aead = aead(keks.unwrap(key.kekId(), key.keyset(), owner));
    unwrapped.put(owner, new Unwrapped(key.kekId(), key.keyset(), aead));
    return aead;
  }

  /**
   * As {@link #unwrap(UUID, Wrapped)}, for a key row read in {@code sql}'s transaction: the
   * transaction then has it as {@link #existing} would have read it.
   */
  public Aead unwrap(DSLContext sql, UUID owner, Wrapped key) {
    return remember(sql, owner, unwrap(owner, key));
  }

  /** The owner's AEAD if they have a key; for reads, which never create one. */
  public Aead existing(DSLContext sql, UUID owner) {
    Aead read = readInTransaction(sql, owner);
    if (read != null) {
      return read;
    }
    DataKeysRecord row = sql.selectFrom(DATA_KEYS).where(DATA_KEYS.OWNER_ID.eq(owner)).fetchOne();
    if (row == null) {
      throw CairnException.failedPrecondition("the owner's data key no longer exists");
    }
    return remember(sql, owner, cachedUnwrap(row));
  }

  private DataKeysRecord create(DSLContext sql, UUID owner) {
    try {
      KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
      // concurrent first writes: one insert wins, the other reads the winner's key
      sql.insertInto(DATA_KEYS)
          .set(DATA_KEYS.OWNER_ID, owner)
          .set(DATA_KEYS.KEK_ID, keks.currentId())
          .set(DATA_KEYS.WRAPPED_KEYSET, keks.wrap(handle, owner))
          .onConflictDoNothing()
          .execute();
      return sql.selectFrom(DATA_KEYS).where(DATA_KEYS.OWNER_ID.eq(owner)).fetchSingle();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not generate a data key", e);
    }
  }

  /** Crypto-shredding: destroys the owner's data key. */
  public void destroy(DSLContext sql, UUID owner) {
    sql.deleteFrom(DATA_KEYS).where(DATA_KEYS.OWNER_ID.eq(owner)).execute();
    sql.configuration().data().remove(memoKey(owner));
    unwrapped.remove(owner);
  }

  /** What a re-wrap did: keys now under the current KEK, and keys whose KEK is not configured. */
  public record Rewrap(int rewrapped, int skipped) {}

  /**
   * Re-wraps every data key not yet wrapped by the current KEK (run as the admin, after a
   * rotation, before the old KEK is removed from config). Keys wrapped by a KEK that is not
   * configured are skipped and counted, never destroyed.
   */
  public Rewrap rewrapAll(DSLContext sql) {
    int rewrapped = 0;
    int skipped = 0;
    // FOR UPDATE: a concurrent first write or shred of the same owner waits for us
    for (DataKeysRecord row :
        sql.selectFrom(DATA_KEYS).where(DATA_KEYS.KEK_ID.ne(keks.currentId())).forUpdate().fetch()) {
      if (!keks.knows(row.getKekId())) {
        skipped++;
        continue;
      }
      KeysetHandle handle = keks.unwrap(row.getKekId(), row.getWrappedKeyset(), row.getOwnerId());
      rewrapped +=
          sql.update(DATA_KEYS)
              .set(DATA_KEYS.KEK_ID, keks.currentId())
              .set(DATA_KEYS.WRAPPED_KEYSET, keks.wrap(handle, row.getOwnerId()))
              .set(DATA_KEYS.REWRAPPED_AT, DSL.currentOffsetDateTime())
              .where(DATA_KEYS.OWNER_ID.eq(row.getOwnerId()))
              .execute();
    }
    return new Rewrap(rewrapped, skipped);
  }

  /** Tink's primitive, or the same computation on pooled ciphers for the usual one-key keyset. */
  private static Aead aead(KeysetHandle handle) {
    try {
      Optional<Aead> pooled = PooledAesGcm.of(handle);
      if (pooled.isPresent()) {
        return pooled.get();
      }
      return handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("data key is not an AEAD keyset", e);
    }
  }
}
