package dev.cairn.server.audit;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.Database;
import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PagePosition;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.observability.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The owner's view of their audit chain. Only the owner reads it: any other {@code users/…}
 * is NOT_FOUND, exactly like a user that does not exist. Reading the log is not itself
 * logged (it is the owner looking at their own record, not at their data). Both reads first
 * link the owner's queued events into the chain (in a short transaction of their own), so what
 * is listed and verified is everything that happened before the call.
 */
final class AuditService {
  static final int DEFAULT_PAGE = 50;
  static final int MAX_PAGE = 1000;
  /** Rows fetched per round trip while verifying: bounds memory whatever the chain's length. */
  static final int VERIFY_BATCH = 500;
  /**
   * Queued events a read links itself, at most, and how long it waits for another chainer of
   * the same chain: a backlog beyond (a chainer far behind) is left to the background and
   * reported, rather than spent on one call's deadline.
   */
  static final long CHAIN_ON_READ = 20_000;
  static final Duration CHAIN_WAIT = Duration.ofSeconds(2);

  private final Database database;
  private final PageTokens pageTokens;
  private final CheckpointSigner signer;
  private final AuditChainer chainer;
  private final long chainOnRead;
  private final Duration chainWait;
  private final AuditRepository repository = new AuditRepository();
  private final AuditQueueRepository queue = new AuditQueueRepository();

  AuditService(Database database, PageTokens pageTokens, CheckpointSigner signer, AuditChainer chainer) {
    this(database, pageTokens, signer, chainer, CHAIN_ON_READ, CHAIN_WAIT);
  }

  AuditService(
      Database database, PageTokens pageTokens, CheckpointSigner signer, AuditChainer chainer,
      long chainOnRead, Duration chainWait) {
    this.database = requireNonNull(database, "database");
    this.pageTokens = requireNonNull(pageTokens, "pageTokens");
    this.signer = requireNonNull(signer, "signer");
    this.chainer = requireNonNull(chainer, "chainer");
    this.chainOnRead = chainOnRead;
    this.chainWait = requireNonNull(chainWait, "chainWait");
  }

  AuditEvents.Page list(
      Principal caller, String parent, AuditEvents.Filter filter, int pageSize, String pageToken) {
    UUID owner = owner(caller, parent);
    PageBinding binding = binding(caller, owner, filter);
    @Nullable Long before = pageTokens.decode(pageToken, binding, PagePosition.Reader::getLong);
    int limit = PageTokens.pageSize(pageSize, DEFAULT_PAGE, MAX_PAGE);
    chainer.chain(owner, chainOnRead, chainWait);
    List<AuditEvents.Event> rows =
        database.transaction(caller, sql -> repository.list(sql, owner, filter, before, limit + 1));
    var page = pageTokens.page(rows, limit, binding, e -> out -> out.putLong(e.seq()));
    return new AuditEvents.Page(page.rows(), page.nextPageToken());
  }

  /** users/me and users/{my id} are one list, so the token binds the resolved owner. */
  private static PageBinding binding(Principal caller, UUID owner, AuditEvents.Filter filter) {
    return PageBinding.of(caller, "ListAuditEvents")
        .with("parent", owner)
        .with("actor", filter.actor())
        .with("target", filter.target())
        .with("actions", filter.actions())
        .with("via", filter.via())
        .with("start_time", filter.start() == null ? null : filter.start().toInstant())
        .with("end_time", filter.end() == null ? null : filter.end().toInstant());
  }

  /**
   * Re-walks {@code startSeq..endSeq} (0: from the start / to the end) of the owner's chain.
   * The head row is read before the events, in the same transaction, so the walk's snapshot
   * holds at least every event the head counts: an append racing the check cannot make an
   * intact chain look truncated. The latest signed checkpoint is read in the same snapshot,
   * its signature checked, and the chain held to it. Events still queued in that snapshot
   * are counted, not checked (they have no links yet).
   */
  AuditEvents.Verification verify(
      Principal caller, String parent, long startSeq, long endSeq, byte @Nullable [] expectedHash, long expectedSeq) {
    UUID owner = owner(caller, parent);
    long from = Math.max(1, startSeq);
    long to = endSeq == 0 ? Long.MAX_VALUE : endSeq;
    if (expectedHash != null && (expectedSeq < from || expectedSeq > to)) {
      throw CairnException.invalidField(
          "expected_seq", expectedSeq + " (expected: within the checked range " + from + ".." + (endSeq == 0 ? "end" : endSeq) + ")");
    }
    chainer.chain(owner, chainOnRead, chainWait);
    var verification = database.transaction(caller, sql -> {
      var head = repository.head(sql, owner).orElse(null);
      var checkpoint = repository.latestCheckpoint(sql, owner).orElse(null);
      var anchor = checkpoint == null ? null
          : new ChainWalker.Anchor(checkpoint.seq(), checkpoint.hash(), signer.verifies(owner, checkpoint));
      var walker = new ChainWalker(from, expectedSeq, expectedHash, head, anchor);
      repository.walk(sql, owner, from, to, VERIFY_BATCH, walker::accept);
      var result = walker.result(to).withPending(queue.countQueued(sql, owner));
      if (checkpoint == null) {
        return result;
      }
      byte[] payload = CheckpointSigner.payload(owner, checkpoint.seq(), checkpoint.hash(), checkpoint.signedAt(), checkpoint.keyId());
      return result.withCheckpoint(checkpoint, payload);
    });
    if (!verification.verified()) {
      Metrics.auditVerificationFailed("verify");
    }
    return verification;
  }

  /** {@code users/me} or the caller's own {@code users/{id}}; anything else is NOT_FOUND. */
  private static UUID owner(Principal caller, String parent) {
    UUID me = caller.userId();
    if (me == null) {
      throw CairnException.notFound(parent);
    }
    String segment = parent.substring(parent.indexOf('/') + 1);
    if (segment.equals("me") || segment.equalsIgnoreCase(me.toString())) {
      return me;
    }
    throw CairnException.notFound(parent);
  }
}
