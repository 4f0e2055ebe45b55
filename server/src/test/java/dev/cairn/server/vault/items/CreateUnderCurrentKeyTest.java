package dev.cairn.server.vault.items;

import static dev.cairn.server.vault.items.ItemFixtures.count;
import static dev.cairn.server.vault.items.ItemFixtures.createText;
import static dev.cairn.server.vault.items.ItemFixtures.superuser;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.ItemView;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * CreateItem encrypts a document before its one statement runs, under the key row the server
 * last saw for the owner; the statement stores nothing unless that is still the owner's key row.
 * A create after the key row went away (destroyed by another replica, or replaced) must store
 * content that its owner can read, never content under a key that no longer exists.
 */
class CreateUnderCurrentKeyTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  @Test
  void aCreateAfterTheOwnersKeyRowWasReplacedStoresContentTheOwnerCanRead() throws Exception {
    var owner = cairn.newUser("rekeyed");
    UUID ownerId = UUID.fromString(owner.id());
    var vault = ItemFixtures.vault(cairn.channel(), owner.token());
    createText(vault, "first, under the first key"); // the server now knows this key row

    try (var c = superuser(); var delete = c.prepareStatement("DELETE FROM cairn.data_keys WHERE owner_id = ?")) {
      delete.setObject(1, ownerId);
      assertThat(delete.executeUpdate()).isEqualTo(1);
    }
    var second = createText(vault, "second, under a new key");

    assertThat(count("SELECT count(*) FROM cairn.data_keys WHERE owner_id = ?", ownerId)).isEqualTo(1);
    assertThat(vault.getItem(GetItemRequest.newBuilder().setName(second.getName()).setView(ItemView.ITEM_VIEW_FULL).build())
            .getItem().getContent().toStringUtf8())
        .isEqualTo("second, under a new key");
    UUID secondId = UUID.fromString(second.getName().substring("items/".length()));
    assertThat(count("SELECT count(*) FROM cairn.item_versions WHERE item_id = ?", secondId)).isEqualTo(1);
  }
}
