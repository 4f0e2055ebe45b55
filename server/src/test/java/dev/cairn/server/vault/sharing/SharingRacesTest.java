package dev.cairn.server.vault.sharing;

import static dev.cairn.server.vault.sharing.SharingFixture.consent;
import static dev.cairn.server.vault.sharing.SharingFixture.create;
import static dev.cairn.server.vault.sharing.SharingFixture.link;
import static dev.cairn.server.vault.sharing.SharingFixture.assertCode;
import static dev.cairn.server.vault.sharing.SharingFixture.grant;
import static dev.cairn.server.vault.sharing.SharingFixture.SERVER;
import static dev.cairn.server.vault.sharing.SharingFixture.access;
import static dev.cairn.server.vault.sharing.SharingFixture.document;
import static dev.cairn.server.vault.sharing.SharingFixture.items;
import static dev.cairn.server.vault.sharing.SharingFixture.sharing;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.vault.v1.AccessLink;
import dev.cairn.vault.v1.Consent;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemView;
import dev.cairn.vault.v1.ListAccessLinksRequest;
import dev.cairn.vault.v1.ListGrantsRequest;
import dev.cairn.vault.v1.RevokeConsentRequest;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.UpdateItemRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Sharing under concurrency: real threads over real gRPC against the real database, in a
 * bounded number of rounds. Each round races the calls that must not interleave badly.
 */
class SharingRacesTest {
  private static final int RESHARE_ROUNDS = 10;
  private static final int RESHARES = 6;
  private static final int READ_ROUNDS = 20;
  private static final int WRITE_ROUNDS = 12;
  private static final int READERS = 3;
  /** Calls each reader makes at most per round (it stops at its first NOT_FOUND). */
  private static final int CALLS = 300;

  @Test
  void revokeCascadesToReSharesMadeConcurrently() throws Exception {
    TestUser owner = SERVER.newUser("owner");
    TestUser holder = SERVER.newUser("holder");
    List<TestUser> grantees = IntStream.range(0, RESHARES).mapToObj(i -> SERVER.newUser("grantee")).toList();
    for (int round = 0; round < RESHARE_ROUNDS; round++) {
      UUID item = document(owner, "round " + round);
      Grant share = grant(owner, holder.user().getName(), item, Role.ROLE_SHARE);
      var start = new CountDownLatch(1);
      var calls = new ArrayList<Callable<Void>>();
      for (int i = 0; i < RESHARES; i++) {
        TestUser grantee = grantees.get(i);
        boolean viaLink = i % 3 == 2;
        calls.add(() -> {
          start.await();
          try {
            if (viaLink) {
              link(holder, item, 3, false);
            } else {
              grant(holder, grantee.user().getName(), item, Role.ROLE_READ);
            }
          } catch (StatusRuntimeException e) {
            // after the revoke the holder has lost its right; nothing else is acceptable
            assertThat(CairnTestServer.code(e)).isIn(Status.Code.PERMISSION_DENIED, Status.Code.NOT_FOUND);
          }
          return null;
        });
      }
      calls.add(() -> {
        start.await();
        sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName(share.getName()).build());
        return null;
      });
      runTogether(start, calls);

      var grants = sharing(owner).listGrants(ListGrantsRequest.newBuilder()
          .setTarget("items/" + item).setShowInactive(true).build()).getGrantsList();
      assertThat(grants).as("round %d: grants on the item", round)
          .allSatisfy(g -> assertThat(g.getState()).as(g.getName() + " by " + g.getGrantor()).isEqualTo(Grant.State.STATE_REVOKED));
      var links = sharing(owner).listAccessLinks(ListAccessLinksRequest.newBuilder()
          .setItem("items/" + item).setShowInactive(true).build()).getAccessLinksList();
      assertThat(links).as("round %d: links on the item", round)
          .allSatisfy(l -> assertThat(l.getState()).as(l.getName()).isEqualTo(AccessLink.State.STATE_REVOKED));
      for (TestUser grantee : grantees) {
        assertThat(access(grantee, item, VaultAccess.Role.READ).allowed()).isFalse();
        assertCode(() -> items(grantee).getItem(GetItemRequest.newBuilder().setName("items/" + item).build()),
            Status.Code.NOT_FOUND);
      }
    }
  }

  @Test
  void granteeReadsRacingRevokeGrantAreOkOrNotFound() throws Exception {
    TestUser owner = SERVER.newUser("owner");
    TestUser reader = SERVER.newUser("reader");
    var seen = ConcurrentHashMap.<Status.Code>newKeySet();
    for (int round = 0; round < READ_ROUNDS; round++) {
      UUID item = document(owner, "read while revoked " + round);
      Grant g = grant(owner, reader.user().getName(), item, Role.ROLE_READ);
      var calls = new AtomicInteger();
      raceUntilNotFound(seen, calls, i -> items(reader).getItem(GetItemRequest.newBuilder().setName("items/" + item)
              .setView(i % 2 == 0 ? ItemView.ITEM_VIEW_BASIC : ItemView.ITEM_VIEW_FULL).build()),
          () -> sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName(g.getName()).build()));
    }
    assertThat(seen).containsOnly(Status.Code.OK, Status.Code.NOT_FOUND);
  }

  @Test
  void granteeUpdatesRacingRevokeConsentAreOkOrNotFound() throws Exception {
    TestUser owner = SERVER.newUser("owner");
    var seen = ConcurrentHashMap.<Status.Code>newKeySet();
    for (int round = 0; round < WRITE_ROUNDS; round++) {
      TestUser writer = SERVER.newUser("writer"); // a fresh write budget each round
      UUID item = document(owner, "write while revoked " + round);
      Consent c = create(owner, consent(writer).setRole(Role.ROLE_WRITE)
          .setItems(Consent.ItemScope.newBuilder().addItems("items/" + item)));
      var calls = new AtomicInteger();
      raceUntilNotFound(seen, calls, i -> items(writer).updateItem(UpdateItemRequest.newBuilder()
              .setItem(Item.newBuilder().setName("items/" + item).setDisplayName("v" + i))
              .setUpdateMask(FieldMask.newBuilder().addPaths("display_name"))
              .build()),
          () -> sharing(owner).revokeConsent(RevokeConsentRequest.newBuilder().setName(c.getName()).build()));
    }
    assertThat(seen).containsOnly(Status.Code.OK, Status.Code.NOT_FOUND);
  }

  interface Call {
    void run(int iteration);
  }

  /**
   * {@link #READERS} threads repeat {@code call} (each until its first NOT_FOUND or
   * {@link #CALLS} calls) while {@code revoke} runs once, after the first call succeeded.
   * Every outcome's status code lands in {@code seen}.
   */
  private static void raceUntilNotFound(Set<Status.Code> seen, AtomicInteger calls, Call call, Runnable revoke)
      throws Exception {
    var start = new CountDownLatch(1);
    var firstOk = new CountDownLatch(1);
    var tasks = new ArrayList<Callable<Void>>();
    for (int r = 0; r < READERS; r++) {
      tasks.add(() -> {
        start.await();
        for (int i = 0; i < CALLS; i++) {
          try {
            call.run(calls.incrementAndGet());
            seen.add(Status.Code.OK);
            firstOk.countDown();
          } catch (StatusRuntimeException e) {
            Status.Code code = CairnTestServer.code(e);
            seen.add(code);
            if (code == Status.Code.NOT_FOUND) {
              return null;
            }
          }
        }
        return null;
      });
    }
    tasks.add(() -> {
      start.await();
      firstOk.await(10, TimeUnit.SECONDS);
      revoke.run();
      return null;
    });
    runTogether(start, tasks);
  }

  /** Runs every task on its own thread, opens {@code start}, and rethrows the first failure. */
  static void runTogether(CountDownLatch start, List<Callable<Void>> tasks) throws Exception {
    try (var pool = Executors.newFixedThreadPool(tasks.size())) {
      List<Future<Void>> futures = new ArrayList<>();
      tasks.forEach(t -> futures.add(pool.submit(t)));
      start.countDown();
      for (Future<Void> f : futures) {
        try {
          f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Error error) {
            throw error;
          }
          throw e;
        }
      }
    }
  }
}
