package dev.cairn.server.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.AuditServiceGrpc;
import dev.cairn.vault.v1.Collection;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The MCP endpoint end to end: the official Java MCP client over HTTP against a real Cairn. */
class McpEndToEndTest {
  private static final McpFixture CAIRN = McpFixture.INSTANCE;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static JsonNode call(McpSyncClient client, String tool, Map<String, Object> args) {
    CallToolResult result = client.callTool(new CallToolRequest(tool, args));
    try {
      JsonNode json = JSON.readTree(McpFixture.text(result));
      assertThat(result.isError()).as("isError of %s: %s", tool, json).isEqualTo(json.has("error"));
      return json;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode ok(McpSyncClient client, String tool, Map<String, Object> args) {
    JsonNode json = call(client, tool, args);
    assertThat(json.has("error")).as("%s failed: %s", tool, json).isFalse();
    return json;
  }

  private static JsonNode error(McpSyncClient client, String tool, Map<String, Object> args) {
    JsonNode json = call(client, tool, args);
    assertThat(json.has("error")).as("%s should fail: %s", tool, json).isTrue();
    return json.get("error");
  }

  private static List<String> toolNames(McpSyncClient client) {
    return client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
  }

  @Test
  void readTokenDiscoversTheReadToolsAndWriteTokenAlsoTheCreateTools() {
    TestUser user = CAIRN.newUser("discover");
    try (var readOnly = CAIRN.client(CAIRN.token(user, TokenScope.TOKEN_SCOPE_READ));
        var readWrite = CAIRN.client(user.token())) {
      assertThat(toolNames(readOnly)).containsExactlyInAnyOrder("search", "fetch", "list_items", "query_records", "ask");
      assertThat(toolNames(readWrite)).containsExactlyInAnyOrder(
          "search", "fetch", "list_items", "query_records", "ask", "create_item", "create_record");
      McpSchema.Tool search = readOnly.listTools().tools().stream().filter(t -> t.name().equals("search")).findFirst().orElseThrow();
      assertThat(search.inputSchema().get("required")).isEqualTo(List.of("query"));
      assertThat(search.annotations().readOnlyHint()).isTrue();
    }
  }

  @Test
  void ownerSearchesFetchesListsAndAsksOverTheirDocument() {
    TestUser owner = CAIRN.newUser("owner");
    String item = CAIRN.document(owner, "Glacier notes", "The Aletsch glacier retreats about fifty metres every year.");
    try (var client = CAIRN.client(owner.token())) {
      JsonNode hits = ok(client, "search", Map.of("query", "Aletsch glacier", "mode", "lexical")).get("hits");
      assertThat(hits).hasSize(1);
      assertThat(hits.get(0).get("item").asText()).isEqualTo(item);
      assertThat(hits.get(0).get("display_name").asText()).isEqualTo("Glacier notes");
      assertThat(hits.get(0).get("snippet").asText()).contains("Aletsch");

      JsonNode fetched = ok(client, "fetch", Map.of("item", item));
      assertThat(fetched.get("text").asText()).isEqualTo("The Aletsch glacier retreats about fifty metres every year.");
      assertThat(fetched.get("truncated").asBoolean()).isFalse();

      assertThat(ok(client, "list_items", Map.of()).get("items")).extracting(i -> i.get("name").asText()).containsExactly(item);

      JsonNode answer = ok(client, "ask", Map.of("question", "How fast does the Aletsch glacier retreat?"));
      assertThat(answer.get("answer").asText()).isNotBlank();
      assertThat(answer.get("citations")).extracting(c -> c.get("item").asText()).contains(item);
      assertThat(answer.get("conversation").asText()).startsWith("conversations/");
    }
  }

  @Test
  void recordsAreQueriedWithAnAip160Filter() {
    TestUser owner = CAIRN.newUser("records");
    String collection = collection(owner);
    try (var client = CAIRN.client(owner.token())) {
      ok(client, "create_record", Map.of("collection", collection, "data", Map.of("city", "Bern"),
          "labels", Map.of("canton", "be")));
      ok(client, "create_record", Map.of("collection", collection, "data", Map.of("city", "Basel"),
          "labels", Map.of("canton", "bs")));
      JsonNode records = ok(client, "query_records", Map.of("collection", collection, "filter", "labels.canton = \"bs\""))
          .get("records");
      assertThat(records).extracting(r -> r.get("data").get("city").asText()).containsExactly("Basel");
    }
  }

  @Test
  void requestsWithoutAValidTokenGet401NamingTheResourceMetadata() throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
    for (String authorization : new String[] {null, "Bearer cairn_pat_not_a_real_token", "Basic dXNlcjpwYXNz"}) {
      var request = HttpRequest.newBuilder(URI.create(CAIRN.baseUrl() + "/mcp"))
          .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
          .POST(HttpRequest.BodyPublishers.ofString(body));
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(String.valueOf(authorization)).isEqualTo(401);
      assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v)
          .startsWith("Bearer resource_metadata=\"" + CAIRN.baseUrl() + "/.well-known/oauth-protected-resource\""));
      assertThat(response.body()).doesNotContain("tools");
    }
    HttpResponse<String> metadata = HTTP.send(HttpRequest.newBuilder(
        URI.create(CAIRN.baseUrl() + "/.well-known/oauth-protected-resource")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(metadata.statusCode()).isEqualTo(200);
    JsonNode json = JSON.readTree(metadata.body());
    assertThat(json.get("resource").asText()).isEqualTo(CAIRN.baseUrl() + "/mcp");
    assertThat(json.get("bearer_methods_supported")).extracting(JsonNode::asText).containsExactly("header");
  }

  @Test
  void aStrangersTokenSeesNothingOfAnotherUsersVaultThroughAnyTool() {
    TestUser owner = CAIRN.newUser("owner");
    TestUser stranger = CAIRN.newUser("stranger");
    String item = CAIRN.document(owner, "Secret plan", "The zeppelin launch happens on Tuesday at dawn.");
    String collection = collection(owner);
    try (var client = CAIRN.client(stranger.token())) {
      assertThat(ok(client, "search", Map.of("query", "zeppelin launch")).get("hits")).isEmpty();
      assertThat(ok(client, "search", Map.of("query", "zeppelin", "items", List.of(item))).get("hits")).isEmpty();
      assertThat(ok(client, "list_items", Map.of()).get("items")).isEmpty();
      assertThat(ok(client, "list_items", Map.of("shared_with_me", true)).get("items")).isEmpty();
      JsonNode answer = ok(client, "ask", Map.of("question", "When is the zeppelin launch?"));
      assertThat(answer.get("citations")).isEmpty();
      assertThat(answer.get("answer").asText()).doesNotContain("Tuesday");

      // the owner's item answers exactly like one that does not exist
      JsonNode hidden = error(client, "fetch", Map.of("item", item));
      JsonNode absent = error(client, "fetch", Map.of("item", "items/" + java.util.UUID.randomUUID()));
      assertThat(hidden.get("code").asText()).isEqualTo("NOT_FOUND").isEqualTo(absent.get("code").asText());
      assertThat(hidden.get("reason").asText()).isEqualTo(absent.get("reason").asText());
      assertThat(hidden.get("message").asText().replace(item, "X"))
          .isEqualTo(absent.get("message").asText().replaceAll("items/[0-9a-f-]+", "X"));
      JsonNode hiddenRecords = error(client, "query_records", Map.of("collection", collection));
      assertThat(hiddenRecords.get("code").asText()).isEqualTo("NOT_FOUND");
      assertThat(error(client, "query_records", Map.of("collection", "collections/" + java.util.UUID.randomUUID()))
          .get("reason").asText()).isEqualTo(hiddenRecords.get("reason").asText());
    }
  }

  @Test
  void aRevokedGrantEndsAccessOnTheNextCallAndTheOwnersAuditShowsEachToolRead() {
    TestUser owner = CAIRN.newUser("owner");
    TestUser reader = CAIRN.newUser("reader");
    String item = CAIRN.document(owner, "Shared recipe", "Knead the rye dough for ten minutes.");
    var sharing = SharingServiceGrpc.newBlockingStub(CAIRN.channel).withCallCredentials(CairnTestServer.bearer(owner.token()));
    String grant = sharing.createGrant(CreateGrantRequest.newBuilder().setGrant(Grant.newBuilder().setTarget(item)
        .setGrantee(reader.user().getName()).setRole(Role.ROLE_READ).setPurpose("mcp test")).build()).getGrant().getName();
    try (var client = CAIRN.client(reader.token())) {
      assertThat(ok(client, "fetch", Map.of("item", item)).get("text").asText()).contains("rye dough");
      assertThat(ok(client, "search", Map.of("query", "rye dough", "mode", "lexical")).get("hits")).hasSize(1);

      sharing.revokeGrant(RevokeGrantRequest.newBuilder().setName(grant).build());

      assertThat(error(client, "fetch", Map.of("item", item)).get("code").asText()).isEqualTo("NOT_FOUND");
      assertThat(ok(client, "search", Map.of("query", "rye dough", "mode", "lexical")).get("hits")).isEmpty();
    }
    List<AuditEvent> events = AuditServiceGrpc.newBlockingStub(CAIRN.channel)
        .withCallCredentials(CairnTestServer.bearer(owner.token()))
        .listAuditEvents(ListAuditEventsRequest.newBuilder().setParent("users/me").setActor(reader.user().getName())
            .build()).getAuditEventsList();
    assertThat(events).filteredOn(e -> e.getOutcome() == AuditEvent.Outcome.OUTCOME_SUCCESS)
        .extracting(AuditEvent::getAction, e -> e.getRequestId().replaceAll("\\.[0-9a-f]{16}$", ""), AuditEvent::getGrant)
        .contains(
            org.assertj.core.groups.Tuple.tuple(AuditEvent.Action.ACTION_ITEM_READ, "mcp.fetch", grant),
            org.assertj.core.groups.Tuple.tuple(AuditEvent.Action.ACTION_ITEM_DOWNLOAD, "mcp.fetch", grant),
            org.assertj.core.groups.Tuple.tuple(AuditEvent.Action.ACTION_ITEM_SEARCH_HIT, "mcp.search", grant));
    assertThat(events).allSatisfy(e -> assertThat(e.getTarget()).isEqualTo(item));
  }

  @Test
  void writeToolsAreRefusedToAReadOnlyTokenAndWriteNothing() {
    TestUser user = CAIRN.newUser("writer");
    try (var readOnly = CAIRN.client(CAIRN.token(user, TokenScope.TOKEN_SCOPE_READ))) {
      JsonNode refused = error(readOnly, "create_item", Map.of("display_name", "x", "text", "hello"));
      assertThat(refused.get("code").asText()).isEqualTo("PERMISSION_DENIED");
      assertThat(error(readOnly, "create_record", Map.of("data", Map.of("a", 1))).get("code").asText())
          .isEqualTo("PERMISSION_DENIED");
    }
    assertThat(CAIRN.vault(user).listItems(ListItemsRequest.getDefaultInstance()).getItemsList()).isEmpty();
    try (var readWrite = CAIRN.client(user.token())) {
      JsonNode created = ok(readWrite, "create_item", Map.of("display_name", "Note", "text", "written through MCP"));
      assertThat(created.get("item").get("name").asText()).startsWith("items/");
    }
    assertThat(CAIRN.vault(user).listItems(ListItemsRequest.getDefaultInstance()).getItemsList()).hasSize(1);
  }

  @Test
  void badArgumentsAreErrorResultsNamingTheArgument() {
    TestUser user = CAIRN.newUser("input");
    try (var client = CAIRN.client(user.token())) {
      JsonNode missing = error(client, "search", Map.of());
      assertThat(missing.get("code").asText()).isEqualTo("INVALID_ARGUMENT");
      assertThat(missing.get("field_violations").get(0).get("field").asText()).isEqualTo("query");
      assertThat(error(client, "search", Map.of("query", "x", "page_size", "ten"))
          .get("field_violations").get(0).get("field").asText()).isEqualTo("page_size");
      assertThat(error(client, "search", Map.of("query", "x", "mode", "psychic"))
          .get("field_violations").get(0).get("field").asText()).isEqualTo("mode");
      // checked by the RPC's own validation, its field renamed to the tool's argument
      JsonNode rpc = error(client, "search", Map.of("query", "x", "collections", List.of("collections/not valid!")));
      assertThat(rpc.get("code").asText()).isEqualTo("INVALID_ARGUMENT");
      assertThat(rpc.get("field_violations").get(0).get("field").asText()).isEqualTo("collections");
      assertThat(error(client, "fetch", Map.of("item", "items/bad id")).get("field_violations").get(0)
          .get("field").asText()).isEqualTo("item");
      assertThat(error(client, "list_items", Map.of("colour", "red")).get("field_violations").get(0)
          .get("field").asText()).isEqualTo("colour");
    }
  }

  @Test
  void everyToolCallIsCountedByToolAndCode() throws Exception {
    TestUser user = CAIRN.newUser("metrics");
    try (var client = CAIRN.client(user.token())) {
      ok(client, "list_items", Map.of());
      error(client, "fetch", Map.of("item", "items/" + java.util.UUID.randomUUID()));
    }
    String scrape = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + CAIRN.server.metricsPort()
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(scrape).containsPattern("cairn_mcp_tool_calls_total\\{code=\"OK\",outcome=\"ok\",tool=\"list_items\"[^}]*} [1-9]")
        .containsPattern("cairn_mcp_tool_calls_total\\{code=\"NOT_FOUND\",outcome=\"error\",tool=\"fetch\"[^}]*} [1-9]")
        .contains("cairn_mcp_tool_duration_seconds_count{tool=\"list_items\"");
  }

  private static String collection(TestUser owner) {
    return CAIRN.vault(owner).createCollection(CreateCollectionRequest.newBuilder()
        .setCollection(Collection.newBuilder().setDisplayName("cities")).build()).getCollection().getName();
  }
}
