package dev.cairn.server.vault;

import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.crypto.DataKeys;
import static java.util.Objects.requireNonNull;

import com.google.crypto.tink.KeysetHandle;
import dev.cairn.server.config.CairnConfig.VaultConfig;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.PageTokens;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * What every vault component shares: the database, keys, audit chain, authorisation rule,
 * limits, and the injected clock and id source.
 *
 * @param attestationKey the Ed25519 keyset (private) attestations and receipts are signed with
 * @param pageTokens seals and checks every list's page tokens
 */
public record VaultContext(
    Database database,
    DataKeys dataKeys,
    AuditLog audit,
    VaultAccess access,
    VaultConfig limits,
    KeysetHandle attestationKey,
    PageTokens pageTokens,
    Clock clock,
    Supplier<UUID> ids,
    SecureRandom random) {

  /** The store of item content under the vault's keys (stateless; cheap to make). */
  public ContentStore contentStore() {
    return new ContentStore(database, dataKeys, ids, limits.inlineMaxBytes());
  }

  public VaultContext {
    requireNonNull(database, "database");
    requireNonNull(dataKeys, "dataKeys");
    requireNonNull(audit, "audit");
    requireNonNull(access, "access");
    requireNonNull(limits, "limits");
    requireNonNull(attestationKey, "attestationKey");
    requireNonNull(pageTokens, "pageTokens");
    requireNonNull(clock, "clock");
    requireNonNull(ids, "ids");
    requireNonNull(random, "random");
  }
}
