package dev.cairn.server.vault.sharing;

import static dev.cairn.server.vault.sharing.SharingFixture.link;
import static dev.cairn.server.vault.sharing.SharingFixture.redeem;
import static dev.cairn.server.vault.sharing.SharingFixture.consent;
import static dev.cairn.server.vault.sharing.SharingFixture.create;
import static dev.cairn.server.vault.sharing.SharingFixture.assertCode;
import static dev.cairn.server.vault.sharing.SharingFixture.grant;
import static dev.cairn.server.vault.sharing.SharingFixture.SERVER;
import static dev.cairn.server.vault.sharing.SharingFixture.document;
import static dev.cairn.server.vault.sharing.SharingFixture.sharing;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.identity.v1.DeleteUserRequest;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.AuditServiceGrpc;
import dev.cairn.vault.v1.Consent;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.ListConsentsRequest;
import dev.cairn.vault.v1.ListGrantsRequest;
import dev.cairn.vault.v1.ListItemVersionsRequest;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.Status;
import java.sql.DriverManager;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Deleting an account ends every share it took part in, in the deletion's transaction: what
 * it gave (grants, links, consents) and what it was given. Its items are then NOT_FOUND for
 * everyone, and its links are dead links like any other.
 */
class DeletedOwnerSharingTest {

  private static VaultServiceGrpc.VaultServiceBlockingStub vault(TestUser user) {
    return VaultServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  private static ListGrantsRequest toMe() {
    return ListGrantsRequest.newBuilder().setDirection(ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME).build();
  }

  @Test
  void deletingAnOwnerEndsItsGrantsLinksAndConsents() {
    TestUser owner = SERVER.newUser("leaver");
    TestUser bob = SERVER.newUser("bob");
    TestUser bank = SERVER.newUser("bank");
    UUID shared = document(owner, "shared by grant and link");
    UUID consented = document(owner, "shared by consent");
    grant(owner, bob.user().getName(), shared, Role.ROLE_READ);
    String token = link(owner, shared, 5, false).getToken();
    create(owner, consent(bank).setItems(Consent.ItemScope.newBuilder().addItems("items/" + consented)));
    assertThat(vault(bob).getItem(GetItemRequest.newBuilder().setName("items/" + shared).build()).getItem().getName())
        .isEqualTo("items/" + shared);

    SERVER.admin().deleteUser(DeleteUserRequest.newBuilder().setName(owner.user().getName()).build());

    assertCode(() -> vault(bob).getItem(GetItemRequest.newBuilder().setName("items/" + shared).build()), Status.Code.NOT_FOUND);
    assertCode(() -> vault(bob).listItemVersions(ListItemVersionsRequest.newBuilder().setParent("items/" + shared).build()),
        Status.Code.NOT_FOUND);
    assertThat(vault(bob).listItems(ListItemsRequest.newBuilder().setSharedWithMe(true).build()).getItemsList()).isEmpty();
    assertThat(sharing(bob).listGrants(toMe()).getGrantsList()).isEmpty();
    assertCode(() -> vault(bank).getItem(GetItemRequest.newBuilder().setName("items/" + consented).build()), Status.Code.NOT_FOUND);
    assertThat(vault(bank).listItems(ListItemsRequest.newBuilder().setSharedWithMe(true).build()).getItemsList()).isEmpty();
    assertThat(sharing(bank).listGrants(toMe()).getGrantsList()).isEmpty();
    assertThat(sharing(bank).listConsents(ListConsentsRequest.newBuilder()
        .setDirection(ListConsentsRequest.Direction.DIRECTION_GIVEN_TO_ME).build()).getConsentsList()).isEmpty();
    assertCode(() -> redeem(token, false), Status.Code.NOT_FOUND);
  }

  @Test
  void deletingAUserEndsWhatOthersGaveIt() {
    TestUser carol = SERVER.newUser("carol");
    TestUser leaver = SERVER.newUser("leaver");
    TestUser dave = SERVER.newUser("dave");
    UUID item = document(carol, "carol's");
    grant(carol, leaver.user().getName(), item, Role.ROLE_SHARE);
    grant(leaver, dave.user().getName(), item, Role.ROLE_READ); // a re-share by the SHARE holder
    String token = link(leaver, item, 5, false).getToken();
    create(carol, consent(leaver).setItems(Consent.ItemScope.newBuilder().addItems("items/" + item)));

    SERVER.admin().deleteUser(DeleteUserRequest.newBuilder().setName(leaver.user().getName()).build());

    assertThat(sharing(carol).listGrants(ListGrantsRequest.newBuilder().build()).getGrantsList()).isEmpty();
    assertThat(sharing(carol).listConsents(ListConsentsRequest.newBuilder().build()).getConsentsList()).isEmpty();
    assertThat(sharing(dave).listGrants(toMe()).getGrantsList()).isEmpty();
    assertCode(() -> vault(dave).getItem(GetItemRequest.newBuilder().setName("items/" + item).build()), Status.Code.NOT_FOUND);
    assertCode(() -> redeem(token, false), Status.Code.NOT_FOUND);
  }

  @Test
  void sharesEndedByADeletionAreRevocationsInTheirOwnersAuditChains() {
    TestUser carol = SERVER.newUser("carol");
    TestUser leaver = SERVER.newUser("leaver");
    UUID item = document(carol, "carol's");
    String grantName = grant(carol, leaver.user().getName(), item, Role.ROLE_READ).getName();
    String consentName = create(carol, consent(leaver).setItems(Consent.ItemScope.newBuilder().addItems("items/" + item))).getName();

    SERVER.admin().deleteUser(DeleteUserRequest.newBuilder().setName(leaver.user().getName()).build());
    SERVER.chainAudit();

    var events = AuditServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(carol.token()))
        .listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me").setPageSize(100).build())
        .getAuditEventsList();
    var ended = events.stream()
        .filter(e -> "user_deleted".equals(e.getDetailsMap().get("cause")))
        .toList();
    assertThat(ended).extracting(AuditEvent::getTarget).contains(grantName, consentName); // and the grant the consent made
    AuditEvent revoke = ended.stream().filter(e -> e.getTarget().equals(grantName)).findFirst().orElseThrow();
    assertThat(revoke.getAction()).isEqualTo(AuditEvent.Action.ACTION_GRANT_REVOKE);
    assertThat(revoke.getActor()).isEqualTo("admin");
    assertThat(revoke.getDetailsMap()).containsEntry("user", leaver.user().getName()).containsEntry("on", "items/" + item);
    assertThat(AuditServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(carol.token()))
        .verifyAuditLog(VerifyAuditLogRequest.newBuilder().setParent("users/me").build()).getVerified()).isTrue();
  }

  @Test
  void theEndSharingFunctionRefusesALiveUser() throws Exception {
    TestUser owner = SERVER.newUser("alive");
    TestUser bob = SERVER.newUser("bob");
    UUID item = document(owner, "still mine");
    grant(owner, bob.user().getName(), item, Role.ROLE_READ);
    // as the application role, even claiming to be the owner: a live account's shares stay
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), TestDatabase.APP_ROLE, TestDatabase.APP_PASSWORD)) {
      c.setAutoCommit(false);
      try (var st = c.createStatement()) {
        st.execute("SELECT set_config('cairn.user_id', '" + owner.id() + "', true)");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() ->
            st.execute("SELECT cairn.end_sharing_of_deleted_user('" + owner.id() + "', 'forged')")))
            .hasMessageContaining("not deleted");
      }
      c.rollback();
    }
    assertThat(sharing(bob).listGrants(toMe()).getGrantsList()).hasSize(1);
  }
}
