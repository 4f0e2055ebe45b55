package dev.cairn.server.vault.items;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemView;
import dev.cairn.vault.v1.UpdateItemRequest;
import org.junit.jupiter.api.Test;

/** Records through the item RPCs, in collections made through CreateCollection. */
class RecordItemsTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  @Test
  void recordIsStoredEncryptedAndReadBackAsData() {
    var user = cairn.newUser("rec");
    var alice = ItemFixtures.vault(cairn.channel(), user.token());
    String collection = alice.createCollection(dev.cairn.vault.v1.CreateCollectionRequest.newBuilder()
        .setCollection(dev.cairn.vault.v1.Collection.newBuilder().setDisplayName("people")
            .setJsonSchema("{\"type\":\"object\"}")).build()).getCollection().getName();
    Struct data = Struct.newBuilder().putFields("name", Value.newBuilder().setStringValue("Ada").build()).build();
    Item created = alice.createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD).setCollection(collection).setData(data)).build()).getItem();
    assertThat(created.getMediaType()).isEqualTo("application/json");

    Item read = alice.getItem(GetItemRequest.newBuilder().setName(created.getName()).setView(ItemView.ITEM_VIEW_FULL).build()).getItem();
    assertThat(read.getData()).isEqualTo(data);

    Struct next = Struct.newBuilder().putFields("name", Value.newBuilder().setStringValue("Grace").build()).build();
    Item updated = alice.updateItem(UpdateItemRequest.newBuilder()
        .setItem(Item.newBuilder().setName(created.getName()).setData(next))
        .setUpdateMask(FieldMask.newBuilder().addPaths("data"))
        .setEtag(created.getEtag()).build()).getItem();
    assertThat(updated.getVersion()).isEqualTo(2);
  }

  @Test
  void queryRecordsShowsTheSameEtagAsGetItemSoItsResultsCanBeUpdated() {
    var user = cairn.newUser("rec");
    var alice = ItemFixtures.vault(cairn.channel(), user.token());
    var collection = alice.createCollection(dev.cairn.vault.v1.CreateCollectionRequest.newBuilder()
        .setCollection(dev.cairn.vault.v1.Collection.newBuilder().setDisplayName("people")
            .setJsonSchema("{\"type\":\"object\",\"x-cairn-queryable\":[\"age\"],\"properties\":{\"age\":{\"type\":\"number\"}}}")).build()).getCollection();
    Struct data = Struct.newBuilder().putFields("age", Value.newBuilder().setNumberValue(30).build()).build();
    Item created = alice.createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD).setCollection(collection.getName()).setData(data)).build()).getItem();

    Item found = alice.queryRecords(dev.cairn.vault.v1.QueryRecordsRequest.newBuilder()
        .setParent(collection.getName()).setFilter("data.age = 30").build()).getRecords(0);

    assertThat(found.getEtag()).isEqualTo(created.getEtag());
    assertThat(found.getData()).isEqualTo(data);
    Item updated = alice.updateItem(UpdateItemRequest.newBuilder()
        .setItem(Item.newBuilder().setName(found.getName()).setData(Struct.newBuilder()
            .putFields("age", Value.newBuilder().setNumberValue(31).build())))
        .setUpdateMask(FieldMask.newBuilder().addPaths("data"))
        .setEtag(found.getEtag()).build()).getItem();
    assertThat(updated.getVersion()).isEqualTo(2);
    assertThat(alice.queryRecords(dev.cairn.vault.v1.QueryRecordsRequest.newBuilder()
        .setParent(collection.getName()).setFilter("data.age = 31").build()).getRecordsCount()).isEqualTo(1);
  }
}
