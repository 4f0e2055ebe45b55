package dev.cairn.server.vault.items;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.vault.VaultContext;

/** The item RPCs of {@code cairn.vault.v1.VaultService} (documents, versions, delete/undelete). */
public final class ItemsRpc {
  private final VaultContext vault;

  public ItemsRpc(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
  }
}
