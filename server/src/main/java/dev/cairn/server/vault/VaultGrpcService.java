package dev.cairn.server.vault;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.vault.items.ItemsRpc;
import dev.cairn.server.vault.records.RecordsRpc;
import dev.cairn.vault.v1.VaultServiceGrpc;

/**
 * {@code cairn.vault.v1.VaultService}: forwards item RPCs to {@link ItemsRpc} and collection
 * and record RPCs to {@link RecordsRpc}.
 */
final class VaultGrpcService extends VaultServiceGrpc.VaultServiceImplBase {
  private final ItemsRpc items;
  private final RecordsRpc records;

  VaultGrpcService(ItemsRpc items, RecordsRpc records) {
    this.items = requireNonNull(items, "items");
    this.records = requireNonNull(records, "records");
  }
}
