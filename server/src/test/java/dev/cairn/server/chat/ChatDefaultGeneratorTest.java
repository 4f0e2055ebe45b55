package dev.cairn.server.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.CreateConversationRequest;
import dev.cairn.chat.v1.FinishReason;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.search.v1.GetIndexStatusRequest;
import dev.cairn.search.v1.ItemIndexStatus;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.VaultServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The server as configured (no test generator): chat answers with the built-in extractive answerer. */
class ChatDefaultGeneratorTest {
  private static final CairnTestServer SERVER = CairnTestServer.get();

  @Test
  void theDefaultServerQuotesTheCitedPassageWithItsMarker() throws InterruptedException {
    TestUser alice = SERVER.newUser("alice");
    String item = VaultServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(alice.token()))
        .createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT)
            .setDisplayName("Glaciers").setMediaType("text/plain").setSearchable(true)
            .setContent(ByteString.copyFromUtf8("Glaciers move because ice deforms under its own weight. "
                + "Tourists visit them in summer."))).build()).getItem().getName();
    SERVER.server().jobWorker().runDue();
    // another server on the same database (a two-replica fixture) may have claimed the index job
    var search = SearchServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(alice.token()));
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (search.getIndexStatus(GetIndexStatusRequest.newBuilder().setItem(item).build()).getItemStatus().getState()
        != ItemIndexStatus.State.STATE_INDEXED) {
      assertThat(System.nanoTime()).as(item + " indexed within 60 s").isLessThan(deadline);
      SERVER.server().jobWorker().runDue();
      Thread.sleep(50);
    }
    var chat = ChatServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(alice.token()));
    String conversation = chat.createConversation(CreateConversationRequest.getDefaultInstance()).getConversation().getName();

    List<SendMessageResponse> events = new ArrayList<>();
    chat.sendMessage(SendMessageRequest.newBuilder().setParent(conversation).setText("Why do glaciers move?").build())
        .forEachRemaining(events::add);

    StringBuilder text = new StringBuilder();
    events.stream().filter(SendMessageResponse::hasDelta).forEach(e -> text.append(e.getDelta().getText()));
    assertThat(events.get(1).getRetrieval().getCitationsCount()).isEqualTo(1);
    assertThat(text.toString()).contains("ice deforms under its own weight").contains("[1]");
    assertThat(events.getLast().getCompleted().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
  }

  @Test
  void eachAnswersRetrievalIsTimedAndItsTimeToFirstTokenCoversIt() throws InterruptedException {
    var meters = SERVER.server().meters();
    var retrieval = meters.timer("cairn.chat.retrieval");
    var ttft = meters.timer("cairn.chat.time_to_first_token", "generator", "extractive");
    long retrievals = retrieval.count();
    double retrievalMs = retrieval.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS);
    double ttftMs = ttft.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS);

    theDefaultServerQuotesTheCitedPassageWithItsMarker();

    assertThat(retrieval.count()).isEqualTo(retrievals + 1);
    double spentRetrieving = retrieval.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS) - retrievalMs;
    assertThat(spentRetrieving).isPositive();
    // counted from the call's arrival: the send's transaction and retrieval are inside it
    assertThat(ttft.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS) - ttftMs).isGreaterThan(spentRetrieving);
  }

  @Test
  void chatMetricsAreScrapedWithTheRest() throws Exception {
    theDefaultServerQuotesTheCitedPassageWithItsMarker();

    var body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://localhost:" + SERVER.server().metricsPort() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();

    assertThat(body)
        .contains("cairn_chat_time_to_first_token_seconds_count{generator=\"extractive\"")
        .contains("cairn_chat_deltas_total")
        .contains("cairn_chat_retrieval_seconds_count")
        .contains("cairn_search_query_cache_lookups_total{result=\"hit\"")
        .contains("cairn_chat_streams_active")
        .contains("cairn_chat_generations_active");
  }
}
