package dev.cairn.server.vault;

import dev.cairn.server.identity.IdentityService;
import dev.cairn.server.vault.audit.AuditChainer;
import dev.cairn.server.vault.audit.AuditCheckpointer;
import dev.cairn.server.vault.audit.AuditGrpcService;
import dev.cairn.server.vault.items.ItemPurger;
import dev.cairn.server.vault.items.ItemsRpc;
import dev.cairn.server.vault.records.RecordsRpc;
import dev.cairn.server.vault.sharing.SharingGrpcService;
import io.grpc.BindableService;
import java.time.Duration;
import java.util.List;

/** Builds the vault's gRPC services and its hooks into other areas from one context. */
public final class VaultModule implements AutoCloseable {
  /** How often deleted items past retention are purged. */
  private static final Duration PURGE_EVERY = Duration.ofMinutes(1);

  private final VaultContext context;
  private final ItemPurger purger;
  private final AuditCheckpointer checkpointer;
  private final AuditChainer chainer;

  public VaultModule(VaultContext context) {
    this.context = context;
    this.purger = ItemPurger.start(context, PURGE_EVERY);
    this.chainer = new AuditChainer(context.database()).start(context.audit(), context.limits().auditChainEvery());
    this.checkpointer = new AuditCheckpointer(context).every(context.limits().auditCheckpointEvery());
  }

  public List<BindableService> services() {
    return List.of(
        new VaultGrpcService(new ItemsRpc(context), new RecordsRpc(context)),
        new SharingGrpcService(context),
        new AuditGrpcService(context, chainer));
  }

  /** Account deletion destroys the owner's data key in the same transaction (crypto-shredding). */
  public IdentityService.UserDeletionListener cryptoShredder() {
    return (sql, userId) -> context.dataKeys().destroy(sql, userId);
  }

  /** Stops the background work (the purge job, the audit chainer and checkpointer). */
  @Override
  public void close() {
    checkpointer.close();
    purger.close();
    chainer.close(); // last: what the others queued is chained by the next start if not now
  }
}
