package dev.cairn.server.vault.records;

import static dev.cairn.server.db.jooq.Tables.AUDIT_EVENTS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.GetCollectionRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListCollectionsRequest;
import dev.cairn.vault.v1.QueryRecordsRequest;
import dev.cairn.vault.v1.QueryRecordsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** QueryRecords end to end: filter semantics, order, paging, errors, isolation, audit. */
class QueryRecordsTest {
  static final String SCHEMA = """
      {"type":"object","required":["name","age"],
       "properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0},
         "city":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},
         "member":{"type":"boolean"},"joined":{"type":"string","format":"date-time"},
         "secret":{"type":"string"}},
       "x-cairn-queryable":["name","age","city","tags","member","joined"]}""";

  static final RecordFixture fixture = new RecordFixture();
  static TestUser owner;
  static UUID collection;

  @BeforeAll
  static void people() {
    owner = fixture.server.newUser("rq-owner");
    collection = fixture.collection(owner, SCHEMA);
    person("Ada", 36, "Oslo", "[\"math\",\"code\"]", true, "2020-01-01");
    person("Bob", 17, "Bergen", "[\"music\"]", false, "2021-06-01");
    person("Cleo", 25, "Oslo", "[\"code\"]", true, "2022-03-15");
    person("Dan", 52, "Trondheim", "[]", false, "2019-11-30");
    person("Eve", 41, "Bergen", "[\"security\",\"code\"]", true, "2023-01-01");
    person("Finn", 18, "Oslo", "[\"sport\"]", false, "2024-02-29");
    person("Gro", 64, "Stavanger", "[\"music\",\"art\"]", true, "2018-05-05");
    person("Hal", 30, "Oslo", "[]", null, "2020-07-07");
    person("Ida", 22, "Voss", "[\"art\"]", false, "2022-12-12");
    person("Jon", 33, "Bergen", "[\"code\",\"music\"]", true, "2021-01-01");
    person("Kari", 29, null, "[\"sport\"]", true, "2023-08-08");
    person("Lars", 45, "Oslo", "[\"math\"]", false, "2017-04-04");
  }

  private static void person(String name, int age, String city, String tags, Boolean member, String joined) {
    String json = "{\"name\":\"" + name + "\",\"age\":" + age
        + (city == null ? "" : ",\"city\":\"" + city + "\"")
        + ",\"tags\":" + tags
        + (member == null ? "" : ",\"member\":" + member)
        + ",\"joined\":\"" + joined + "T12:00:00Z\",\"secret\":\"s-" + name + "\"}";
    fixture.record(owner, collection, json);
  }

  private static QueryRecordsResponse query(TestUser caller, String filter, String orderBy, int pageSize, String token) {
    return fixture.vault(caller).queryRecords(QueryRecordsRequest.newBuilder()
        .setParent("collections/" + collection)
        .setFilter(filter)
        .setOrderBy(orderBy)
        .setPageSize(pageSize)
        .setPageToken(token)
        .build());
  }

  private static List<String> names(TestUser caller, String filter) {
    return query(caller, filter, "", 100, "").getRecordsList().stream()
        .map(r -> r.getData().getFieldsOrThrow("name").getStringValue())
        .sorted()
        .toList();
  }

  @Test
  void equalityOnStrings() {
    assertThat(names(owner, "data.city = \"Oslo\"")).containsExactly("Ada", "Cleo", "Finn", "Hal", "Lars");
  }

  @Test
  void rangesOnNumbers() {
    assertThat(names(owner, "data.age >= 18 AND data.age < 30")).containsExactly("Cleo", "Finn", "Ida", "Kari");
    assertThat(names(owner, "data.age > 60")).containsExactly("Gro");
    assertThat(names(owner, "data.age <= 17")).containsExactly("Bob");
  }

  @Test
  void rangesOnTimestampsAndCreateTime() {
    assertThat(names(owner, "data.joined >= \"2022-01-01T00:00:00Z\""))
        .containsExactly("Cleo", "Eve", "Finn", "Ida", "Kari");
    assertThat(names(owner, "create_time > \"2000-01-01T00:00:00Z\"")).hasSize(12);
  }

  @Test
  void hasIsArrayMembershipAndSubstringForStrings() {
    assertThat(names(owner, "data.tags:\"code\"")).containsExactly("Ada", "Cleo", "Eve", "Jon");
    assertThat(names(owner, "data.tags = \"art\"")).containsExactly("Gro", "Ida");
    assertThat(names(owner, "data.name:\"A\"")).containsExactly("Ada", "Dan", "Hal", "Ida", "Kari", "Lars");
    assertThat(names(owner, "data.city:\"ERG\"")).containsExactly("Bob", "Eve", "Jon");
    assertThat(names(owner, "data.city:\"%\"")).isEmpty();
  }

  @Test
  void booleansNullAndPresence() {
    assertThat(names(owner, "data.member = true")).containsExactly("Ada", "Cleo", "Eve", "Gro", "Jon", "Kari");
    assertThat(names(owner, "data.member = null")).containsExactly("Hal");
    assertThat(names(owner, "data.city:*")).hasSize(11);
  }

  @Test
  void andOrNotWithAip160Precedence() {
    assertThat(names(owner, "data.city = \"Bergen\" OR data.city = \"Voss\"")).containsExactly("Bob", "Eve", "Ida", "Jon");
    // OR binds tighter: Oslo AND (age < 20 OR age > 60)
    assertThat(names(owner, "data.city = \"Oslo\" AND data.age < 20 OR data.age > 60")).containsExactly("Finn");
    assertThat(names(owner, "(data.city = \"Oslo\" AND data.age < 20) OR data.age > 60")).containsExactly("Finn", "Gro");
    assertThat(names(owner, "NOT data.city = \"Oslo\"")).containsExactly("Bob", "Dan", "Eve", "Gro", "Ida", "Jon", "Kari");
    assertThat(names(owner, "-data.member = true")).containsExactly("Bob", "Dan", "Finn", "Hal", "Ida", "Lars");
    assertThat(names(owner, "data.city != \"Oslo\"")).containsExactly("Bob", "Dan", "Eve", "Gro", "Ida", "Jon");
    assertThat(names(owner, "data.city = \"Oslo\" data.tags:\"math\"")).containsExactly("Ada", "Lars");
  }

  @Test
  void labelsAndUpdateTimeAreFilterable() {
    for (var r : query(owner, "data.name = \"Bob\" OR data.name = \"Dan\"", "", 10, "").getRecordsList()) {
      fixture.vault(owner).updateItem(dev.cairn.vault.v1.UpdateItemRequest.newBuilder()
          .setItem(dev.cairn.vault.v1.Item.newBuilder().setName(r.getName()).putLabels("team", "blue"))
          .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("labels"))
          .setEtag(r.getEtag())
          .build());
    }
    assertThat(names(owner, "labels.team = \"blue\"")).containsExactly("Bob", "Dan");
    assertThat(names(owner, "labels.team:*")).containsExactly("Bob", "Dan");
    assertThat(names(owner, "labels.team = \"red\"")).isEmpty();
    assertThat(names(owner, "update_time < \"2000-01-01T00:00:00Z\"")).isEmpty();
  }

  @Test
  void resultsCarryDecryptedDataAndMetadata() {
    Item ada = query(owner, "data.name = \"Ada\"", "", 10, "").getRecords(0);
    assertThat(ada.getData().getFieldsOrThrow("secret").getStringValue()).isEqualTo("s-Ada");
    assertThat(ada.getData().getFieldsOrThrow("age").getNumberValue()).isEqualTo(36);
    assertThat(ada.getKind()).isEqualTo(Item.Kind.KIND_RECORD);
    assertThat(ada.getCollection()).isEqualTo("collections/" + collection);
    assertThat(ada.getOwner()).isEqualTo(owner.user().getName());
  }

  @Test
  void pagesFollowOrderByWithoutGapsOrRepeats() {
    List<Integer> ages = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      var page = query(owner, "", "data.age", 5, token);
      page.getRecordsList().forEach(r -> ages.add((int) r.getData().getFieldsOrThrow("age").getNumberValue()));
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty());
    assertThat(pages).isEqualTo(3);
    assertThat(ages).containsExactly(17, 18, 22, 25, 29, 30, 33, 36, 41, 45, 52, 64);

    List<String> cities = new ArrayList<>();
    token = "";
    do {
      var page = query(owner, "", "data.city desc", 4, token);
      page.getRecordsList().forEach(r -> cities.add(r.getData().getFieldsMap().containsKey("city")
          ? r.getData().getFieldsOrThrow("city").getStringValue() : "-"));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertThat(cities).containsExactly(
        "Voss", "Trondheim", "Stavanger", "Oslo", "Oslo", "Oslo", "Oslo", "Oslo", "Bergen", "Bergen", "Bergen", "-");
  }

  @Test
  void defaultOrderIsNewestFirstAndPagesByCreateTime() {
    List<String> all = new ArrayList<>();
    String token = "";
    do {
      var page = query(owner, "", "", 5, token);
      page.getRecordsList().forEach(r -> all.add(r.getData().getFieldsOrThrow("name").getStringValue()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertThat(all).containsExactly("Lars", "Kari", "Jon", "Ida", "Hal", "Gro", "Finn", "Eve", "Dan", "Cleo", "Bob", "Ada");
  }

  @Test
  void pageTokenIsBoundToItsQuery() {
    String token = query(owner, "data.age > 1", "", 2, "").getNextPageToken();
    assertThat(token).isNotEmpty();
    assertInvalid(() -> query(owner, "data.age > 2", "", 2, token), "page_token", "not a token");
    assertInvalid(() -> query(owner, "data.age > 1", "", 2, "garbage"), "page_token", "not a token");
  }

  @Test
  void unknownOrUnqueryableFieldsAndBadValuesAreInvalidArgument() {
    assertInvalid(() -> names(owner, "data.secret = \"x\""), "filter", "data.secret is not a queryable field");
    assertInvalid(() -> names(owner, "age = 3"), "filter", "unknown field age");
    assertInvalid(() -> names(owner, "data.age = \"old\""), "filter", "holds number values");
    assertInvalid(() -> names(owner, "data.joined > \"yesterday\""), "filter", "not an RFC 3339 timestamp");
    assertInvalid(() -> names(owner, "data.age >= "), "filter", "at position 12");
    assertInvalid(() -> query(owner, "", "data.secret", 10, ""), "order_by", "data.secret");
    assertInvalid(() -> query(owner, "", "data.age, create_time", 10, ""), "order_by", "one sort key");
  }

  @Test
  void strangerSeesNothing() {
    TestUser stranger = fixture.server.newUser("rq-stranger");
    assertNotFound(() -> query(stranger, "", "", 10, ""));
    // a bad field on someone else's collection is still NOT_FOUND: the schema is not theirs to learn
    assertNotFound(() -> query(stranger, "data.secret = \"x\"", "", 10, ""));
    assertNotFound(() -> fixture.vault(stranger).getCollection(
        GetCollectionRequest.newBuilder().setName("collections/" + collection).build()));
    assertThat(fixture.vault(stranger).listCollections(ListCollectionsRequest.getDefaultInstance()).getCollectionsList()).isEmpty();
    assertThat(fixture.vault(stranger).listCollections(ListCollectionsRequest.newBuilder().setSharedWithMe(true).build())
        .getCollectionsList()).isEmpty();
    // absent and invisible look the same
    var absent = catchStatus(() -> query(stranger, "", "", 10, "").toString());
    assertThat(absent.getStatus().getDescription()).isEqualTo("collections/" + collection + " not found");
  }

  @Test
  void granteeWithLiveGrantQueriesAndIsAudited() {
    TestUser reader = fixture.server.newUser("rq-reader");
    UUID grant = fixture.grant(owner, reader, collection, "READ", null);
    assertThat(names(reader, "data.city = \"Oslo\"")).containsExactly("Ada", "Cleo", "Finn", "Hal", "Lars");
    assertThat(fixture.vault(reader).listCollections(ListCollectionsRequest.newBuilder().setSharedWithMe(true).build())
        .getCollectionsList()).extracting(c -> c.getName()).containsExactly("collections/" + collection);
    assertThat(fixture.vault(reader).getCollection(
        GetCollectionRequest.newBuilder().setName("collections/" + collection).build()).getCollection().getJsonSchema())
        .isEqualTo(SCHEMA);

    CairnTestServer.get().chainAudit();
    var events = fixture.vault.database().transaction(Principal.system(UUID.fromString(owner.id())), sql ->
        sql.selectFrom(AUDIT_EVENTS)
            .where(AUDIT_EVENTS.OWNER_ID.eq(UUID.fromString(owner.id())))
            .and(AUDIT_EVENTS.ACTION.eq("RECORD_QUERY"))
            .and(AUDIT_EVENTS.ACTOR.eq(reader.user().getName()))
            .fetch());
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.getViaGrant()).isEqualTo(grant);
      assertThat(e.getTarget()).isEqualTo("collections/" + collection);
      assertThat(e.getDetails().data()).contains("\"results\": \"5\"").contains("filter_hmac").doesNotContain("Oslo");
    });
  }

  @Test
  void expiredOrRevokedGrantIsNotFound() {
    TestUser expired = fixture.server.newUser("rq-expired");
    // CreateGrant refuses an expiry already past: the grant expires as the server's clock moves on
    fixture.grant(owner, expired, collection, "READ", OffsetDateTime.now(ZoneOffset.UTC).plusMinutes(1));
    try {
      CairnTestServer.CLOCK.advance(java.time.Duration.ofMinutes(2));
      assertNotFound(() -> query(expired, "", "", 10, ""));
    } finally {
      CairnTestServer.CLOCK.reset();
    }

    TestUser revoked = fixture.server.newUser("rq-revoked");
    UUID grant = fixture.grant(owner, revoked, collection, "READ", null);
    assertThat(query(revoked, "", "", 10, "").getRecordsCount()).isEqualTo(10);
    fixture.revoke(owner, grant);
    assertNotFound(() -> query(revoked, "", "", 10, ""));
    assertNotFound(() -> fixture.vault(revoked).getCollection(
        GetCollectionRequest.newBuilder().setName("collections/" + collection).build()));
    assertThat(fixture.vault(revoked).listCollections(ListCollectionsRequest.newBuilder().setSharedWithMe(true).build())
        .getCollectionsList()).isEmpty();
  }

  @Test
  void grantExpiringByTheServerClockTakesEffectOnTheNextCall() {
    TestUser reader = fixture.server.newUser("rq-clock");
    fixture.grant(owner, reader, collection, "READ", OffsetDateTime.now(ZoneOffset.UTC).plusHours(1));
    assertThat(query(reader, "", "", 1, "").getRecordsCount()).isEqualTo(1);
    try {
      CairnTestServer.CLOCK.advance(java.time.Duration.ofHours(2));
      assertNotFound(() -> query(reader, "", "", 1, ""));
    } finally {
      CairnTestServer.CLOCK.reset();
    }
  }

  static StatusRuntimeException catchStatus(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to fail");
  }

  static void assertNotFound(Runnable call) {
    assertThat(catchStatus(call).getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  static void assertInvalid(Runnable call, String field, String fragment) {
    var e = catchStatus(call);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolationsList())
        .anySatisfy(v -> {
          assertThat(v.getField()).isEqualTo(field);
          assertThat(v.getDescription()).contains(fragment);
        });
  }
}
