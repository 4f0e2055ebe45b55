package dev.cairn.server.vault.audit;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.vault.VaultContext;
import dev.cairn.vault.v1.AuditServiceGrpc;

/** {@code cairn.vault.v1.AuditService}: an owner's audit chain, listed and verified. */
public final class AuditGrpcService extends AuditServiceGrpc.AuditServiceImplBase {
  private final VaultContext vault;

  public AuditGrpcService(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
  }
}
