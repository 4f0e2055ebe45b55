package dev.cairn.server.audit;

import static dev.cairn.server.audit.AuditFixtures.append;
import static dev.cairn.server.audit.AuditFixtures.audit;
import static dev.cairn.server.audit.AuditFixtures.id;
import static dev.cairn.server.audit.AuditFixtures.queue;
import static dev.cairn.server.audit.AuditFixtures.superuser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.VaultServiceGrpc;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import dev.cairn.vault.v1.VerifyAuditLogResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The audit queue: an action records its event without taking its owner's chain, the chainer
 * links queued events exactly once, and readers see (or are told about) every recorded event.
 */
class AuditQueueTest {
  private final CairnTestServer cairn = CairnTestServer.get();
  private final VaultContext vault = cairn.server().vault();

  private VaultServiceGrpc.VaultServiceBlockingStub items(TestUser u) {
    return VaultServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(u.token()));
  }

  private Item document(TestUser owner) {
    return items(owner).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT).setMediaType("text/plain").setDisplayName("notes")
        .setContent(ByteString.copyFromUtf8("hello"))).build()).getItem();
  }

  private static VerifyAuditLogResponse verify(TestUser user) {
    return audit(user).verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent("users/me").build());
  }

  /** All of the owner's events of {@code action}, every page. */
  private static List<AuditEvent> all(TestUser owner, AuditEvent.Action action) {
    var out = new ArrayList<AuditEvent>();
    String token = "";
    do {
      var page = audit(owner).listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me")
          .addActions(action).setPageSize(1000).setPageToken(token).build());
      out.addAll(page.getAuditEventsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  /** A transaction holding the owner's head row, as a chainer of another replica mid-batch does. */
  private static Connection holdingTheHead(UUID owner) throws SQLException {
    Connection c = superuser();
    c.setAutoCommit(false);
    try (var lock = c.prepareStatement("SELECT seq FROM cairn.audit_heads WHERE owner_id = ? FOR UPDATE")) {
      lock.setObject(1, owner);
      try (var rs = lock.executeQuery()) {
        assertThat(rs.next()).as("the owner has a head row").isTrue();
      }
    }
    return c;
  }

  private static long queued(UUID owner) throws SQLException {
    try (Connection c = superuser(); var s = c.prepareStatement("SELECT count(*) FROM cairn.audit_pending WHERE owner_id = ?")) {
      s.setObject(1, owner);
      try (var rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void anOwnersReadIsNotHeldUpByAnotherOpenAuditedTransactionOfTheSameOwner() throws Exception {
    TestUser owner = cairn.newUser("queue-open");
    Item item = document(owner);
    var recorded = new CountDownLatch(1);
    var release = new CountDownLatch(1);
    // another call of the owner's that has recorded its event and not yet committed
    CompletableFuture<Void> open = CompletableFuture.runAsync(() -> vault.database().transaction(Principal.system(id(owner)), sql -> {
      vault.audit().append(sql, id(owner), AuditLog.Entry.of(owner.user().getName(), AuditAction.ITEM_UPDATE, item.getName(), "slow"));
      recorded.countDown();
      try {
        return release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }));
    try {
      assertThat(recorded.await(10, TimeUnit.SECONDS)).isTrue();

      Item read = items(owner).withDeadlineAfter(3, TimeUnit.SECONDS)
          .getItem(GetItemRequest.newBuilder().setName(item.getName()).build()).getItem();

      assertThat(read.getName()).isEqualTo(item.getName());
    } finally {
      release.countDown();
      open.get(20, TimeUnit.SECONDS);
    }
    assertThat(all(owner, AuditEvent.Action.ACTION_ITEM_UPDATE)).extracting(AuditEvent::getRequestId).containsExactly("slow");
    assertThat(verify(owner).getVerified()).isTrue();
  }

  @Test
  void eightClientsReadingOneOwnersItemAreEachAuditedOnceInAnUnbrokenChain() throws Exception {
    TestUser owner = cairn.newUser("queue-8x");
    Item item = document(owner);
    int threads = 8;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      var start = new CountDownLatch(1);
      var runs = new ArrayList<Future<?>>();
      for (int t = 0; t < threads; t++) {
        runs.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < perThread; i++) {
            items(owner).getItem(GetItemRequest.newBuilder().setName(item.getName()).build());
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> run : runs) {
        run.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    List<AuditEvent> reads = all(owner, AuditEvent.Action.ACTION_ITEM_READ);
    VerifyAuditLogResponse verdict = verify(owner);

    assertThat(reads).hasSize(threads * perThread);
    long events = 1 + threads * perThread; // the ITEM_CREATE, then the reads
    assertThat(verdict.getVerified()).as(verdict.getReason()).isTrue();
    assertThat(verdict.getEventsChecked()).isEqualTo(events);
    assertThat(verdict.getHeadSeq()).isEqualTo(events);
    assertThat(verdict.getPendingEvents()).isZero();
    assertThat(reads).extracting(AuditEvent::getSeq).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(2, events).boxed().toList());
  }

  @Test
  void aQueuedEventIsReportedPendingWhileItsChainIsHeldAndVerifiedOnceLinked() throws Exception {
    TestUser owner = cairn.newUser("queue-pending");
    UUID me = id(owner);
    append(me, AuditLog.Entry.of(owner.user().getName(), AuditAction.ITEM_CREATE, "items/" + UUID.randomUUID(), "r0"));
    var service = new AuditService(vault.database(), vault.pageTokens(), new CheckpointSigner(vault.attestationKey()),
        new AuditChainer(vault.database()), AuditService.CHAIN_ON_READ, Duration.ofMillis(200));
    try (Connection chainerElsewhere = holdingTheHead(me)) {
      for (int i = 1; i <= 3; i++) {
        queue(me, AuditLog.Entry.of(owner.user().getName(), AuditAction.ITEM_READ, "items/x", "r" + i));
      }

      var whileHeld = service.verify(Principal.system(me), "users/me", 0, 0, null, 0);
      var listed = service.list(Principal.system(me), "users/me", new AuditEvents.Filter(null, null, List.of(), null, null, null), 0, "");

      assertThat(whileHeld.verified()).as(whileHeld.reason()).isTrue();
      assertThat(whileHeld.eventsChecked()).isEqualTo(1);
      assertThat(whileHeld.headSeq()).isEqualTo(1);
      assertThat(whileHeld.pendingEvents()).isEqualTo(3);
      assertThat(listed.events()).extracting(AuditEvents.Event::seq).containsExactly(1L);
      chainerElsewhere.rollback();
    }

    VerifyAuditLogResponse linked = verify(owner);

    assertThat(linked.getVerified()).as(linked.getReason()).isTrue();
    assertThat(linked.getEventsChecked()).isEqualTo(4);
    assertThat(linked.getPendingEvents()).isZero();
    assertThat(all(owner, AuditEvent.Action.ACTION_ITEM_READ)).extracting(AuditEvent::getSeq, AuditEvent::getRequestId)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(4L, "r3"), org.assertj.core.groups.Tuple.tuple(3L, "r2"),
            org.assertj.core.groups.Tuple.tuple(2L, "r1"));
    assertThat(queued(me)).isZero();
  }

  @Test
  void aChainerThatDiesBeforeCommittingLosesNoEvent() throws Exception {
    TestUser owner = cairn.newUser("queue-crash");
    UUID me = id(owner);
    append(me, AuditLog.Entry.of(owner.user().getName(), AuditAction.ITEM_CREATE, "items/" + UUID.randomUUID(), "r0"));
    try (Connection dying = holdingTheHead(me)) {
      for (int i = 1; i <= 5; i++) {
        queue(me, AuditLog.Entry.of(owner.user().getName(), AuditAction.ITEM_READ, "items/x", "r" + i));
      }
      // half-way through its batch: the first queued event linked, the head not yet moved
      try (var partial = dying.prepareStatement(
          "INSERT INTO cairn.audit_events (owner_id, seq, event_time, actor, action, prev_hash, hash, queue_id)"
              + " SELECT owner_id, 2, event_time, actor, action, '\\x00'::bytea, '\\x00'::bytea, id"
              + " FROM cairn.audit_pending WHERE owner_id = ? ORDER BY id LIMIT 1")) {
        partial.setObject(1, me);
        assertThat(partial.executeUpdate()).isEqualTo(1);
      }
      assertThat(queued(me)).isEqualTo(5);
      int pid;
      try (var s = dying.createStatement(); var rs = s.executeQuery("SELECT pg_backend_pid()")) {
        rs.next();
        pid = rs.getInt(1);
      }
      try (Connection killer = superuser(); var kill = killer.prepareStatement("SELECT pg_terminate_backend(?)")) {
        kill.setInt(1, pid);
        kill.execute();
      }
    }

    new AuditChainer(TestDatabase.get().app()).chainAll();

    VerifyAuditLogResponse verdict = verify(owner);
    assertThat(verdict.getVerified()).as(verdict.getReason()).isTrue();
    assertThat(verdict.getEventsChecked()).isEqualTo(6);
    assertThat(all(owner, AuditEvent.Action.ACTION_ITEM_READ)).extracting(AuditEvent::getRequestId)
        .containsExactly("r5", "r4", "r3", "r2", "r1");
    assertThat(queued(me)).isZero();
  }

  @Test
  void aQueuedEventCannotBeDroppedOrChangedOnTheWayIntoTheChain() throws Exception {
    TestUser owner = cairn.newUser("queue-tamper");
    TestUser stranger = cairn.newUser("queue-stranger");
    UUID me = id(owner);
    append(me, AuditLog.Entry.of(owner.user().getName(), AuditAction.ITEM_CREATE, "items/" + UUID.randomUUID(), "r0"));
    try (Connection chainerElsewhere = holdingTheHead(me)) {
      queue(me, AuditLog.Entry.of(stranger.user().getName(), AuditAction.ACCESS_DENIED, "items/x", "r1"));
      // the application role, even in the owner's own transaction: the queue is append-only
      // until the chainer has the event in the chain
      try (Connection app = TestDatabase.appRoleAs(me)) {
        try (var delete = app.prepareStatement("DELETE FROM cairn.audit_pending WHERE owner_id = ?")) {
          delete.setObject(1, me);
          assertThat(delete.executeUpdate()).isZero();
        }
        try (var update = app.prepareStatement("UPDATE cairn.audit_pending SET actor = 'system' WHERE owner_id = ?")) {
          update.setObject(1, me);
          assertThatThrownBy(update::executeUpdate).isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
        }
      }
      try (Connection app = TestDatabase.appRoleAs(id(stranger));
          var peek = app.prepareStatement("SELECT count(*) FROM cairn.audit_pending WHERE owner_id = ?")) {
        peek.setObject(1, me);
        try (var rs = peek.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).as("a stranger sees none of the owner's queued events").isZero();
        }
      }
      assertThat(queued(me)).isEqualTo(1);
      chainerElsewhere.rollback();
    }
    assertThat(all(owner, AuditEvent.Action.ACTION_ACCESS_DENIED)).extracting(AuditEvent::getActor)
        .containsExactly(stranger.user().getName());
  }

  @Test
  void ownersWithPendingAuditNamesOnlyOwnersWithQueuedEventsAndNothingOfTheEvents() throws Exception {
    TestUser waiting = cairn.newUser("queue-waiting");
    TestUser linked = cairn.newUser("queue-linked");
    append(id(waiting), AuditLog.Entry.of(waiting.user().getName(), AuditAction.ITEM_CREATE, "items/a", "r0"));
    append(id(linked), AuditLog.Entry.of(linked.user().getName(), AuditAction.ITEM_CREATE, "items/b", "r0"));
    try (Connection chainerElsewhere = holdingTheHead(id(waiting))) {
      queue(id(waiting), AuditLog.Entry.of(waiting.user().getName(), AuditAction.ITEM_READ, "items/a", "secret-request"));
      try (Connection app = TestDatabase.appRoleAs(id(linked));
          var due = app.prepareStatement("SELECT * FROM cairn.owners_with_pending_audit(100000)")) {
        var owners = new ArrayList<UUID>();
        try (var rs = due.executeQuery()) {
          assertThat(rs.getMetaData().getColumnCount()).as("ids only").isEqualTo(1);
          while (rs.next()) {
            owners.add(rs.getObject(1, UUID.class));
          }
        }
        assertThat(owners).contains(id(waiting)).doesNotContain(id(linked));
      }
      chainerElsewhere.rollback();
    }
  }

  @Test
  void everyAuditActionIsAnActionOfTheContractUnderTheSameName() {
    List<String> wire = Arrays.stream(AuditEvent.Action.values())
        .filter(a -> a != AuditEvent.Action.ACTION_UNSPECIFIED && a != AuditEvent.Action.UNRECOGNIZED)
        .map(a -> a.name().substring("ACTION_".length()))
        .toList();
    assertThat(Arrays.stream(AuditAction.values()).map(Enum::name)).containsExactlyElementsOf(wire);
  }

}
