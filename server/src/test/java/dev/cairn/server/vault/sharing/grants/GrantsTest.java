package dev.cairn.server.vault.sharing.grants;

import static dev.cairn.server.vault.sharing.SharingFixture.assertCode;
import static dev.cairn.server.vault.sharing.SharingFixture.grant;
import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.vault.sharing.SharingFixture.SERVER;
import static dev.cairn.server.vault.sharing.SharingFixture.access;
import static dev.cairn.server.vault.sharing.SharingFixture.audit;
import static dev.cairn.server.vault.sharing.SharingFixture.document;
import static dev.cairn.server.vault.sharing.SharingFixture.in;
import static dev.cairn.server.vault.sharing.SharingFixture.sharing;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.Principal;
import dev.cairn.server.vault.sharing.SharingFixture;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.ListGrantsRequest;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.Role;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

class GrantsTest {

  @Test
  void grantLetsGranteeReadAndRevokeHidesItemOnNextCall() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bob = SERVER.newUser("bob");
    UUID item = document(owner, "hello");
    assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isFalse();

    Grant g = grant(owner, bob.user().getName(), item, Role.ROLE_READ);
    assertThat(g.getState()).isEqualTo(Grant.State.STATE_ACTIVE);
    assertThat(g.getOwner()).isEqualTo(owner.user().getName());
    assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isTrue();
    assertThat(access(bob, item, VaultAccess.Role.WRITE).allowed()).isFalse();

    Grant revoked = sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName(g.getName()).build()).getGrant();
    assertThat(revoked.getState()).isEqualTo(Grant.State.STATE_REVOKED);
    assertThat(revoked.hasRevokeTime()).isTrue();
    assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isFalse();

    assertThat(audit(owner)).extracting(SharingFixture.AuditRow::action).containsSubsequence("GRANT_CREATE", "GRANT_REVOKE");
    assertThat(audit(owner)).filteredOn(r -> r.action().equals("GRANT_REVOKE"))
        .singleElement().satisfies(r -> assertThat(r.viaGrant().toString()).isEqualTo(g.getName().substring(7)));
  }

  @Test
  void granteeCanBeNamedByUsername() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bob = SERVER.newUser("bob");
    UUID item = document(owner, "hello");
    Grant g = grant(owner, "users/" + bob.user().getUsername(), item, Role.ROLE_READ);
    assertThat(g.getGrantee()).isEqualTo(bob.user().getName());
    assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isTrue();
  }

  @Test
  void unknownGranteeIsNotFound() {
    TestUser owner = SERVER.newUser("owner");
    UUID item = document(owner, "hello");
    assertCode(() -> grant(owner, "users/" + UUID.randomUUID(), item, Role.ROLE_READ), Status.Code.NOT_FOUND);
    assertCode(() -> grant(owner, "users/nobody-" + UUID.randomUUID().toString().substring(0, 8), item, Role.ROLE_READ),
        Status.Code.NOT_FOUND);
  }

  @Test
  void expiredGrantHidesItem() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bob = SERVER.newUser("bob");
    UUID item = document(owner, "hello");
    sharing(owner).createGrant(CreateGrantRequest.newBuilder()
        .setGrant(Grant.newBuilder().setGrantee(bob.user().getName()).setTarget("items/" + item)
            .setRole(Role.ROLE_READ).setPurpose("short").setExpireTime(in(Duration.ofHours(1))))
        .build());
    assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isTrue();
    try {
      CairnTestServer.CLOCK.advance(Duration.ofHours(2));
      assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isFalse();
      var listed = sharing(bob).listGrants(ListGrantsRequest.newBuilder()
          .setDirection(ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME).setShowInactive(true).build());
      assertThat(listed.getGrantsList()).singleElement()
          .extracting(Grant::getState).isEqualTo(Grant.State.STATE_EXPIRED);
      assertThat(sharing(bob).listGrants(ListGrantsRequest.newBuilder()
          .setDirection(ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME).build()).getGrantsList()).isEmpty();
    } finally {
      CairnTestServer.CLOCK.reset();
    }
  }

  @Test
  void shareHolderCanReshareButReadHolderCannot() {
    TestUser owner = SERVER.newUser("owner");
    TestUser sharer = SERVER.newUser("sharer");
    TestUser reader = SERVER.newUser("reader");
    TestUser carol = SERVER.newUser("carol");
    UUID item = document(owner, "hello");
    Grant share = grant(owner, sharer.user().getName(), item, Role.ROLE_SHARE);
    grant(owner, reader.user().getName(), item, Role.ROLE_READ);

    Grant reshared = grant(sharer, carol.user().getName(), item, Role.ROLE_READ);
    assertThat(reshared.getGrantor()).isEqualTo(sharer.user().getName());
    assertThat(reshared.getOwner()).isEqualTo(owner.user().getName());
    assertThat(access(carol, item, VaultAccess.Role.READ).allowed()).isTrue();

    assertCode(() -> grant(reader, carol.user().getName(), item, Role.ROLE_READ), Status.Code.PERMISSION_DENIED);

    // the owner sees the re-share among grants on its data
    var byOwner = sharing(owner).listGrants(ListGrantsRequest.newBuilder().build()).getGrantsList();
    assertThat(byOwner).extracting(Grant::getName).contains(reshared.getName(), share.getName());

    // revoking the sharer's grant takes the re-share with it
    sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName(share.getName()).build());
    assertThat(access(carol, item, VaultAccess.Role.READ).allowed()).isFalse();
    assertThat(access(sharer, item, VaultAccess.Role.READ).allowed()).isFalse();
  }

  @Test
  void reshareCannotOutliveTheSharersGrant() {
    TestUser owner = SERVER.newUser("owner");
    TestUser sharer = SERVER.newUser("sharer");
    TestUser carol = SERVER.newUser("carol");
    UUID item = document(owner, "hello");
    sharing(owner).createGrant(CreateGrantRequest.newBuilder()
        .setGrant(Grant.newBuilder().setGrantee(sharer.user().getName()).setTarget("items/" + item)
            .setRole(Role.ROLE_SHARE).setPurpose("p").setExpireTime(in(Duration.ofDays(1))))
        .build());
    // unset expiry inherits the sharer's end
    Grant inherited = grant(sharer, carol.user().getName(), item, Role.ROLE_READ);
    assertThat(inherited.hasExpireTime()).isTrue();
    // a later end is refused
    assertCode(() -> sharing(sharer).createGrant(CreateGrantRequest.newBuilder()
        .setGrant(Grant.newBuilder().setGrantee(carol.user().getName()).setTarget("items/" + item)
            .setRole(Role.ROLE_READ).setPurpose("p").setExpireTime(in(Duration.ofDays(2))))
        .build()), Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void createGrantIsIdempotentWithRequestId() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bob = SERVER.newUser("bob");
    UUID item = document(owner, "hello");
    var request = CreateGrantRequest.newBuilder()
        .setGrant(Grant.newBuilder().setGrantee(bob.user().getName()).setTarget("items/" + item)
            .setRole(Role.ROLE_READ).setPurpose("p"))
        .setRequestId(UUID.randomUUID().toString())
        .build();
    Grant first = sharing(owner).createGrant(request).getGrant();
    Grant again = sharing(owner).createGrant(request).getGrant();
    assertThat(again.getName()).isEqualTo(first.getName());
    assertThat(audit(owner)).filteredOn(r -> r.action().equals("GRANT_CREATE")).hasSize(1);
  }

  @Test
  void granteeMayGiveUpAGrantAndGrantorMayRevoke() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bob = SERVER.newUser("bob");
    UUID item = document(owner, "hello");
    Grant g = grant(owner, bob.user().getName(), item, Role.ROLE_READ);
    sharing(bob).revokeGrant(RevokeGrantRequest.newBuilder().setName(g.getName()).build());
    assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isFalse();
    // revoking again returns it unchanged
    assertThat(sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName(g.getName()).build())
        .getGrant().getState()).isEqualTo(Grant.State.STATE_REVOKED);
  }

  @Test
  void listGrantsNamesTheGranteeByUsernameOnlyToWhoeverMadeTheGrant() {
    TestUser owner = SERVER.newUser("owner");
    TestUser sharer = SERVER.newUser("sharer");
    TestUser carol = SERVER.newUser("carol");
    UUID item = document(owner, "hello");
    Grant share = grant(owner, "users/" + sharer.user().getUsername(), item, Role.ROLE_SHARE);
    Grant reshared = grant(sharer, carol.user().getName(), item, Role.ROLE_READ);

    var byOwner = sharing(owner).listGrants(ListGrantsRequest.newBuilder().build()).getGrantsList();
    assertThat(byOwner).filteredOn(g -> g.getName().equals(share.getName()))
        .singleElement().extracting(Grant::getGranteeUsername).isEqualTo(sharer.user().getUsername());
    // the owner sees the re-share, but not the name of someone it never named itself
    assertThat(byOwner).filteredOn(g -> g.getName().equals(reshared.getName()))
        .singleElement().extracting(Grant::getGranteeUsername).isEqualTo("");
    assertThat(sharing(sharer).listGrants(ListGrantsRequest.newBuilder().build()).getGrantsList())
        .singleElement().extracting(Grant::getGranteeUsername).isEqualTo(carol.user().getUsername());
    // the grantees see their grants without any username on them
    for (TestUser grantee : List.of(sharer, carol)) {
      assertThat(sharing(grantee).listGrants(ListGrantsRequest.newBuilder()
              .setDirection(ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME).build()).getGrantsList())
          .isNotEmpty().extracting(Grant::getGranteeUsername).containsOnly("");
    }
  }

  @Test
  void listGrantsPagesBothDirections() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bob = SERVER.newUser("bob");
    for (int i = 0; i < 5; i++) {
      grant(owner, bob.user().getName(), document(owner, "doc" + i), Role.ROLE_READ);
    }
    var seen = new java.util.ArrayList<String>();
    String token = "";
    do {
      var page = sharing(bob).listGrants(ListGrantsRequest.newBuilder()
          .setDirection(ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME).setPageSize(2).setPageToken(token).build());
      page.getGrantsList().forEach(g -> seen.add(g.getName()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertThat(seen).hasSize(5).doesNotHaveDuplicates();
    assertThat(sharing(owner).listGrants(ListGrantsRequest.newBuilder().setUser(bob.user().getName()).build())
        .getGrantsList()).hasSize(5);
    assertThat(sharing(bob).listGrants(ListGrantsRequest.newBuilder().build()).getGrantsList()).isEmpty();
  }

  @Test
  void strangerSeesNoGrantsAndCannotTouchThem() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bob = SERVER.newUser("bob");
    TestUser stranger = SERVER.newUser("stranger");
    UUID item = document(owner, "hello");
    Grant g = grant(owner, bob.user().getName(), item, Role.ROLE_READ);

    assertCode(() -> grant(stranger, bob.user().getName(), item, Role.ROLE_READ), Status.Code.NOT_FOUND);
    assertCode(() -> sharing(stranger).revokeGrant(RevokeGrantRequest.newBuilder().setName(g.getName()).build()),
        Status.Code.NOT_FOUND);
    for (var direction : ListGrantsRequest.Direction.values()) {
      if (direction == ListGrantsRequest.Direction.UNRECOGNIZED) {
        continue;
      }
      assertThat(sharing(stranger).listGrants(ListGrantsRequest.newBuilder().setDirection(direction)
          .setShowInactive(true).build()).getGrantsList()).isEmpty();
    }
    assertThat(sharing(stranger).listGrants(ListGrantsRequest.newBuilder().setTarget("items/" + item)
        .setShowInactive(true).build()).getGrantsList()).isEmpty();
    assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isTrue();
  }

  @Test
  void granteeMayLockItsGrantButNotChangeIt() {
    TestUser owner = SERVER.newUser("owner");
    TestUser bob = SERVER.newUser("bob");
    TestUser stranger = SERVER.newUser("stranger");
    UUID item = document(owner, "hello");
    UUID g = UUID.fromString(grant(owner, bob.user().getName(), item, Role.ROLE_READ).getName().substring("grants/".length()));
    var db = SharingFixture.vault().database();

    // what acting through a grant does (V8): the grantee locks its own grant FOR SHARE
    int lockedByBob = db.transaction(Principal.system(SharingFixture.id(bob)), sql ->
        sql.selectFrom(GRANTS).where(GRANTS.ID.eq(g)).forShare().fetch().size());
    assertThat(lockedByBob).isEqualTo(1);
    // a stranger can neither see nor lock it
    int lockedByStranger = db.transaction(Principal.system(SharingFixture.id(stranger)), sql ->
        sql.selectFrom(GRANTS).where(GRANTS.ID.eq(g)).forShare().fetch().size());
    assertThat(lockedByStranger).isZero();
    // and the grantee still cannot change it: not its role, not its end, not its revocation
    for (var change : List.<java.util.function.Function<DSLContext, Integer>>of(
        sql -> sql.update(GRANTS).set(GRANTS.ROLE, "SHARE").where(GRANTS.ID.eq(g)).execute(),
        sql -> sql.update(GRANTS).set(GRANTS.EXPIRES_AT, (OffsetDateTime) null).where(GRANTS.ID.eq(g)).execute(),
        sql -> sql.update(GRANTS).set(GRANTS.GRANTEE_ID, SharingFixture.id(stranger)).where(GRANTS.ID.eq(g)).execute())) {
      assertThatThrownBy(() -> db.transaction(Principal.system(SharingFixture.id(bob)), change::apply))
          .hasMessageContaining("row-level security");
    }
    int changedByStranger = db.transaction(Principal.system(SharingFixture.id(stranger)), sql ->
        sql.update(GRANTS).set(GRANTS.ROLE, "SHARE").where(GRANTS.ID.eq(g)).execute());
    assertThat(changedByStranger).isZero();
    assertThat(access(bob, item, VaultAccess.Role.READ).allowed()).isTrue();
    assertThat(access(bob, item, VaultAccess.Role.WRITE).allowed()).isFalse();
  }
}
