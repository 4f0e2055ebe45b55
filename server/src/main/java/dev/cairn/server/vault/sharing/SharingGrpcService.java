package dev.cairn.server.vault.sharing;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.vault.VaultContext;
import dev.cairn.vault.v1.SharingServiceGrpc;

/** {@code cairn.vault.v1.SharingService}: grants, access links, consent, attestation key. */
public final class SharingGrpcService extends SharingServiceGrpc.SharingServiceImplBase {
  private final VaultContext vault;

  public SharingGrpcService(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
  }
}
