package dev.cairn.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.AuditServiceGrpc;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListItemVersionsRequest;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.VaultServiceGrpc;
import java.util.List;
import org.junit.jupiter.api.Test;

/** "Who read my data": every way a grantee sees an owner's item lands in the owner's log. */
class GranteeReadsAuditedTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  private VaultServiceGrpc.VaultServiceBlockingStub vault(TestUser u) {
    return VaultServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(u.token()));
  }

  @Test
  void granteesMetadataReadsListingsAndVersionListsAreInTheOwnersLogWithTheGrant() {
    TestUser owner = cairn.newUser("owner");
    TestUser reader = cairn.newUser("reader");
    Item item = vault(owner).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT).setMediaType("text/plain").setDisplayName("payslip")
        .setContent(ByteString.copyFromUtf8("salary"))).build()).getItem();
    Grant grant = SharingServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(owner.token()))
        .createGrant(CreateGrantRequest.newBuilder().setGrant(Grant.newBuilder().setTarget(item.getName())
            .setGrantee(reader.user().getName()).setRole(Role.ROLE_READ).setPurpose("audit test")).build()).getGrant();

    vault(reader).getItem(GetItemRequest.newBuilder().setName(item.getName()).build());
    assertThat(vault(reader).listItems(ListItemsRequest.newBuilder().setSharedWithMe(true).build()).getItemsList())
        .extracting(Item::getName).containsExactly(item.getName());
    vault(reader).listItemVersions(ListItemVersionsRequest.newBuilder().setParent(item.getName()).build());

    List<AuditEvent> reads = AuditServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(owner.token()))
        .listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me")
            .addActions(AuditEvent.Action.ACTION_ITEM_READ).build())
        .getAuditEventsList();
    assertThat(reads).hasSize(3).allSatisfy(e -> {
      assertThat(e.getActor()).isEqualTo(reader.user().getName());
      assertThat(e.getTarget()).isEqualTo(item.getName());
      assertThat(e.getGrant()).isEqualTo(grant.getName());
    });
    assertThat(reads).extracting(e -> e.getDetailsMap().get("view")).containsExactlyInAnyOrder("BASIC", "LIST", "VERSIONS");
  }
}
