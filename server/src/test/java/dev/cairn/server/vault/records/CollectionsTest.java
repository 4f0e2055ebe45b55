package dev.cairn.server.vault.records;

import static dev.cairn.server.vault.records.QueryRecordsTest.assertInvalid;
import static dev.cairn.server.vault.records.QueryRecordsTest.assertNotFound;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.Collection;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.GetCollectionRequest;
import dev.cairn.vault.v1.ListCollectionsRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** CreateCollection, GetCollection, ListCollections: schema checks, idempotency, paging, isolation. */
class CollectionsTest {
  static final RecordFixture fixture = new RecordFixture();

  private static CreateCollectionRequest request(String name, String schema, String requestId) {
    return CreateCollectionRequest.newBuilder()
        .setCollection(Collection.newBuilder().setDisplayName(name).setDescription("d").setJsonSchema(schema))
        .setRequestId(requestId)
        .build();
  }

  @Test
  void ownerCreatesAndGetsACollection() {
    TestUser owner = fixture.server.newUser("col-owner");
    String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}},\"x-cairn-queryable\":[\"a\"]}";
    Collection created = fixture.vault(owner).createCollection(request("Contacts", schema, "")).getCollection();
    assertThat(created.getName()).startsWith("collections/");
    assertThat(created.getOwner()).isEqualTo(owner.user().getName());
    assertThat(created.getJsonSchema()).isEqualTo(schema);
    assertThat(created.getEtag()).isNotEmpty();
    Collection got = fixture.vault(owner).getCollection(GetCollectionRequest.newBuilder().setName(created.getName()).build()).getCollection();
    assertThat(got).isEqualTo(created);
  }

  @Test
  void emptySchemaAcceptsAnyObject() {
    TestUser owner = fixture.server.newUser("col-empty");
    UUID c = fixture.collection(owner, "");
    UUID item = fixture.record(owner, c, "{\"anything\":[1,{\"x\":true}]}");
    assertThat(item).isNotNull();
  }

  @Test
  void concurrentRetriesWithOneRequestIdMakeOneCollection() throws Exception {
    TestUser owner = fixture.server.newUser("col-idem");
    String requestId = UUID.randomUUID().toString();
    List<Callable<String>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(() -> fixture.vault(owner).createCollection(request("Once", "", requestId)).getCollection().getName());
    }
    try (var pool = Executors.newFixedThreadPool(8)) {
      var names = pool.invokeAll(calls).stream().map(f -> {
        try {
          return f.get();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }).distinct().toList();
      assertThat(names).hasSize(1);
    }
    assertThat(fixture.vault(owner).listCollections(ListCollectionsRequest.getDefaultInstance()).getCollectionsCount()).isEqualTo(1);
  }

  @Test
  void invalidSchemasAreRejectedOnTheSchemaField() {
    TestUser owner = fixture.server.newUser("col-bad");
    var stub = fixture.vault(owner);
    assertInvalid(() -> stub.createCollection(request("x", "{not json", "")), "collection.json_schema", "not valid JSON");
    assertInvalid(() -> stub.createCollection(request("x", "[1,2]", "")), "collection.json_schema", "expected a JSON Schema object");
    assertInvalid(() -> stub.createCollection(request("x", "{\"type\":\"objekt\"}", "")), "collection.json_schema", "not a valid JSON Schema");
    assertInvalid(() -> stub.createCollection(request("x", "{\"minimum\":\"ten\"}", "")), "collection.json_schema", "not a valid JSON Schema");
    assertInvalid(() -> stub.createCollection(request("x", "{\"properties\":{\"a\":{}},\"x-cairn-queryable\":[\"b\"]}", "")),
        "collection.json_schema", "\"b\" is not a top-level property");
    assertInvalid(() -> stub.createCollection(request("x", "{\"x-cairn-queryable\":\"a\"}", "")),
        "collection.json_schema", "x-cairn-queryable: expected an array");
    assertThat(stub.listCollections(ListCollectionsRequest.getDefaultInstance()).getCollectionsList()).isEmpty();
  }

  @Test
  void schemasCannotMakeTheServerFetchRemoteReferences() {
    TestUser owner = fixture.server.newUser("col-ref");
    long start = System.nanoTime();
    assertInvalid(() -> fixture.vault(owner).createCollection(
            request("x", "{\"$ref\":\"http://198.51.100.1/evil.json\"}", "")),
        "collection.json_schema", "");
    assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
  }

  @Test
  void recursiveOrVeryDeepSchemasAreRejectedAtCreation() {
    TestUser owner = fixture.server.newUser("col-deep");
    var stub = fixture.vault(owner);
    assertInvalid(() -> stub.createCollection(request("x", "{\"$ref\":\"#\"}", "")),
        "collection.json_schema", "recursive");
    assertInvalid(() -> stub.createCollection(request("x",
            "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"allOf\":[{\"$ref\":\"#/$defs/a\"}]}},\"$ref\":\"#/$defs/a\"}", "")),
        "collection.json_schema", "recursive");
    // a tree whose children are nodes: recursive through data, still refused (records are bounded, schemas too)
    assertInvalid(() -> stub.createCollection(request("x",
            "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}}}},\"$ref\":\"#/$defs/node\"}", "")),
        "collection.json_schema", "recursive");
    String deep = "{\"type\":\"array\"}";
    for (int i = 0; i < 900; i++) {
      deep = "{\"type\":\"array\",\"items\":" + deep + "}";
    }
    String nineHundred = deep;
    assertInvalid(() -> stub.createCollection(request("x", nineHundred, "")), "collection.json_schema", "deeper");
    String fortyLevels = "{}";
    for (int i = 0; i < 40; i++) {
      fortyLevels = "{\"properties\":{\"a\":" + fortyLevels + "}}";
    }
    String forty = fortyLevels;
    assertInvalid(() -> stub.createCollection(request("x", forty, "")), "collection.json_schema", "deeper");
    // shared definitions that double at each step expand to 2^30 schemas: refused, not evaluated
    StringBuilder laughs = new StringBuilder("{\"$defs\":{\"d0\":{\"type\":\"string\"}");
    for (int i = 1; i <= 30; i++) {
      laughs.append(",\"d").append(i).append("\":{\"allOf\":[{\"$ref\":\"#/$defs/d").append(i - 1)
          .append("\"},{\"$ref\":\"#/$defs/d").append(i - 1).append("\"}]}");
    }
    laughs.append("},\"$ref\":\"#/$defs/d30\"}");
    assertInvalid(() -> stub.createCollection(request("x", laughs.toString(), "")), "collection.json_schema", "expands");
    assertThat(stub.listCollections(ListCollectionsRequest.getDefaultInstance()).getCollectionsList()).isEmpty();
  }

  @Test
  void sharedDefinitionsWithoutRecursionStillWork() {
    TestUser owner = fixture.server.newUser("col-defs");
    String schema = "{\"type\":\"object\",\"$defs\":{\"addr\":{\"type\":\"object\",\"required\":[\"city\"]}},"
        + "\"properties\":{\"home\":{\"$ref\":\"#/$defs/addr\"},\"work\":{\"$ref\":\"#/$defs/addr\"}}}";
    UUID c = fixture.collection(owner, schema);
    assertThat(fixture.record(owner, c, "{\"home\":{\"city\":\"Oslo\"},\"work\":{\"city\":\"Bergen\"}}")).isNotNull();
  }

  @Test
  void listPagesNewestFirstAndSharedWithMeShowsOnlyGrantedCollections() {
    TestUser owner = fixture.server.newUser("col-list");
    List<String> made = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      made.addFirst(fixture.vault(owner).createCollection(request("c" + i, "", "")).getCollection().getName());
    }
    List<String> listed = new ArrayList<>();
    String token = "";
    do {
      var page = fixture.vault(owner).listCollections(ListCollectionsRequest.newBuilder().setPageSize(2).setPageToken(token).build());
      page.getCollectionsList().forEach(c -> listed.add(c.getName()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertThat(listed).containsExactlyElementsOf(made);

    TestUser friend = fixture.server.newUser("col-friend");
    UUID shared = UUID.fromString(made.get(2).substring("collections/".length()));
    fixture.grant(owner, friend, shared, "READ", null);
    assertThat(fixture.vault(friend).listCollections(ListCollectionsRequest.getDefaultInstance()).getCollectionsList()).isEmpty();
    assertThat(fixture.vault(friend).listCollections(ListCollectionsRequest.newBuilder().setSharedWithMe(true).build())
        .getCollectionsList()).extracting(Collection::getName).containsExactly(made.get(2));
    // the owner's "shared with me" is about others' collections, not their own
    assertThat(fixture.vault(owner).listCollections(ListCollectionsRequest.newBuilder().setSharedWithMe(true).build())
        .getCollectionsList()).isEmpty();
  }

  @Test
  void unknownOrMalformedCollectionNamesAreNotFound() {
    TestUser owner = fixture.server.newUser("col-nf");
    assertNotFound(() -> fixture.vault(owner).getCollection(
        GetCollectionRequest.newBuilder().setName("collections/" + UUID.randomUUID()).build()));
    assertNotFound(() -> fixture.vault(owner).getCollection(
        GetCollectionRequest.newBuilder().setName("collections/not-a-uuid").build()));
  }
}
