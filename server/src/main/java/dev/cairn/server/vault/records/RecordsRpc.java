package dev.cairn.server.vault.records;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.vault.VaultContext;

/** The collection and record RPCs of {@code cairn.vault.v1.VaultService}. */
public final class RecordsRpc {
  private final VaultContext vault;

  public RecordsRpc(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
  }
}
