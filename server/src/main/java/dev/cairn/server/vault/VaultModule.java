package dev.cairn.server.vault;

import dev.cairn.server.identity.IdentityService;
import dev.cairn.server.jobs.JobHandler;
import dev.cairn.server.jobs.JobQueue;
import dev.cairn.server.jobs.Periodic;
import dev.cairn.server.audit.AuditChainer;
import dev.cairn.server.audit.AuditCheckpointer;
import dev.cairn.server.audit.AuditGrpcService;
import dev.cairn.server.vault.items.ItemListener;
import dev.cairn.server.vault.items.ItemPurger;
import dev.cairn.server.vault.items.ItemsRpc;
import dev.cairn.server.vault.records.RecordRules;
import dev.cairn.server.vault.records.RecordsRpc;
import dev.cairn.server.vault.sharing.SharingGrpcService;
import io.grpc.BindableService;
import java.time.Duration;
import java.util.List;

/** Builds the vault's gRPC services and its hooks into other areas from one context. */
public final class VaultModule implements AutoCloseable {
  /** How often owners with deleted items past retention get a purge job. */
  private static final Duration PURGE_EVERY = Duration.ofMinutes(1);

  private final VaultContext context;
  private final ItemPurger purger;
  private final Periodic purgeScheduling;
  private final AuditCheckpointer checkpointer;
  private final AuditChainer chainer;
  private final List<ItemListener> itemListeners;

  /** @param itemListeners other features told of every item change (search), after the vault's own */
  public VaultModule(VaultContext context, JobQueue jobs, List<ItemListener> itemListeners) {
    this.context = context;
    this.itemListeners = List.copyOf(itemListeners);
    this.purger = new ItemPurger(context);
    this.purgeScheduling = Periodic.every(PURGE_EVERY, "item-purge-scheduling", () -> purger.enqueueDue(jobs));
    this.chainer = new AuditChainer(context.database()).start(context.audit(), context.limits().auditChainEvery());
    this.checkpointer = new AuditCheckpointer(context.database(), context.attestationKey(), context.clock()).every(context.limits().auditCheckpointEvery());
  }

  public List<BindableService> services() {
    // items know collections only through the validator and listener wired here
    RecordRules records = new RecordRules(context);
    return List.of(
        new VaultGrpcService(new ItemsRpc(context, records, listeners(records)), new RecordsRpc(context, records)),
        new SharingGrpcService(context),
        new AuditGrpcService(context.database(), context.pageTokens(), context.attestationKey(), chainer));
  }

  private List<ItemListener> listeners(RecordRules records) {
    var all = new java.util.ArrayList<ItemListener>();
    all.add(records.indexer());
    all.addAll(itemListeners);
    return all;
  }

  /** The handlers of the vault's background jobs. */
  public List<JobHandler> jobHandlers() {
    return List.of(purger.handler());
  }

  /** Account deletion destroys the owner's data key in the same transaction (crypto-shredding). */
  public IdentityService.UserDeletionListener cryptoShredder() {
    return (sql, userId) -> context.dataKeys().destroy(sql, userId);
  }

  /** Stops the background work (purge scheduling, the audit chainer and checkpointer). */
  @Override
  public void close() {
    checkpointer.close();
    purgeScheduling.close();
    chainer.close(); // last: what the others queued is chained by the next start if not now
  }
}
