package dev.cairn.server.chat;

import static dev.cairn.server.chat.ChatFixture.answerText;
import static dev.cairn.server.chat.ChatFixture.send;
import static dev.cairn.server.chat.ChatFixture.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.server.chat.ScriptedGenerator.Script;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.RoundTrips;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a send costs before its answer streams: its database round trips, and the time to first token it reports. */
class ChatSendPathTest {
  private static final ChatFixture F = ChatFixture.INSTANCE;

  @Test
  void aSendStoresItsQuestionAndStartsItsAnswerInSixRoundTripsAndAFollowUpInSeven() {
    var start = F.userWithDocument("Cranes", "Common cranes dance in spring to strengthen their pair bonds.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    F.generatorA.script(Script.of("They dance ", "in spring [1]."));

    int fresh;
    int followUp;
    List<SendMessageResponse> second;
    try (var trips = RoundTrips.on("cairn-send")) {
      sendAll(F.chat(alice), send(conversation, "When do cranes dance?").toBuilder()
          .setRequestId(UUID.randomUUID().toString()).build());
      fresh = trips.of("cairn-send");
      trips.reset();
      second = sendAll(F.chat(alice), send(conversation, "Why do they dance?"));
      followUp = trips.of("cairn-send");
    }

    // BEGIN with the transaction's settings; the conversation locked; the request_id looked up;
    // the owner's key; both messages and the conversation's update as one batch; COMMIT
    assertThat(fresh).isEqualTo(6);
    // without a request_id, with earlier messages: the branch links and the history instead
    assertThat(followUp).isEqualTo(7);
    // what the send streamed back without reading it again is what was stored
    var started = second.getFirst().getStarted();
    assertThat(F.stored(alice, started.getUserMessage().getName())).isEqualTo(started.getUserMessage());
    assertThat(started.getUserMessage().getSeq()).isEqualTo(3);
    assertThat(started.getMessage().getSeq()).isEqualTo(4);
    assertThat(answerText(second)).isEqualTo("They dance in spring [1].");
    assertThat(F.generatorA.prompts.getLast().history()).hasSize(2);
  }

  @Test
  void timeToFirstTokenCountsFromTheCallReachingTheServerNotFromTheService() throws Exception {
    var start = F.userWithDocument("Ibises", "Sacred ibises probe mud for worms.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    F.generatorA.script(Script.of("They probe mud [1]."));
    Duration pause = Duration.ofMillis(1500);

    // the call starts (headers: the interceptors run), and its request follows only after a pause,
    // as when authentication or a slow client holds it up before the service sees it
    // (as a bidi-streaming method on the client: grpc-java holds back the headers of a call whose
    // client sends one message until that message, and here they must go first)
    var method = ChatServiceGrpc.getSendMessageMethod().toBuilder().setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .build();
    ClientCall<dev.cairn.chat.v1.SendMessageRequest, SendMessageResponse> call = F.channelA.newCall(method,
        CallOptions.DEFAULT.withCallCredentials(CairnTestServer.bearer(alice.token())));
    List<SendMessageResponse> events = new CopyOnWriteArrayList<>();
    var closed = new CountDownLatch(1);
    var status = new java.util.concurrent.atomic.AtomicReference<Status>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(SendMessageResponse message) {
        events.add(message);
      }

      @Override
      public void onClose(Status s, Metadata trailers) {
        status.set(s);
        closed.countDown();
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    Thread.sleep(pause.toMillis()); // the delay being measured, not a synchronisation
    call.sendMessage(send(conversation, "What do ibises eat?"));
    call.halfClose();
    assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();

    assertThat(status.get().isOk()).isTrue();
    var usage = events.getLast().getCompleted().getUsage();
    Duration ttft = Duration.ofSeconds(usage.getTimeToFirstToken().getSeconds(), usage.getTimeToFirstToken().getNanos());
    assertThat(ttft).isGreaterThanOrEqualTo(pause);
    // and the server's meter recorded the same figure
    var timer = F.a.meters().find("cairn.chat.time_to_first_token").tag("generator", "scripted").timer();
    assertThat(timer).isNotNull();
    assertThat(timer.max(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(pause.toMillis());
  }
  @Test
  void aSendIntoAConversationWhoseAnswerWasOrphanedFailsThatAnswerKeepingItsTextAndGoesAhead() throws Exception {
    var start = F.userWithDocument("Kites", "Red kites scavenge along roads.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    F.generatorA.script(Script.of("Kites scavenge", " along roads").holdingAfter(1));
    String orphan = F.sendAndDrop(alice, send(conversation, "What do kites eat?").toBuilder().setDetach(true).build(),
        Duration.ofSeconds(20));
    // its text checkpointed (the next checkpoint is a heartbeat, 5 s on) ...
    assertThat(ChatFixture.eventually(Duration.ofSeconds(20),
        () -> F.stored(alice, orphan).getText().equals("Kites scavenge"))).isTrue();
    // ... and then, as if its replica had died a minute ago, no checkpoint since
    ChatFixture.superuser("UPDATE cairn.chat_messages SET heartbeat_at = heartbeat_at - interval '1 minute'"
        + " WHERE id = ? RETURNING id", ChatFixture.id(orphan));
    F.generatorA.script(Script.of("Along roads [1]."));

    var next = sendAll(F.chat(alice), send(conversation, "Where do they look?"));

    assertThat(answerText(next)).isEqualTo("Along roads [1].");
    var failed = F.stored(alice, orphan);
    assertThat(failed.getState()).isEqualTo(dev.cairn.chat.v1.Message.State.STATE_FAILED);
    assertThat(failed.getText()).isEqualTo("Kites scavenge");
    assertThat(failed.getError().getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
  }

  @Test
  void aSendThatRollsBackAfterItsRetrievalStartedLeavesNoCitationAndNoAuditedRead() throws Exception {
    // retrieval runs alongside the send's transaction; here that transaction fails at its last
    // statement (a trigger refuses the answer's row), after the retrieval has started
    var start = F.userWithDocument("Storks", "White storks return to the same nest every spring.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    UUID conversationId = ChatFixture.id(conversation.getName());
    UUID item = ChatFixture.id(start.item());
    double searchesBefore = hybridSearches();
    ddl("CREATE FUNCTION cairn.test_refuse_answer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " RAISE EXCEPTION 'refused by the test'; END $$");
    ddl("CREATE TRIGGER test_refuse_answer BEFORE INSERT ON cairn.chat_messages FOR EACH ROW"
        + " WHEN (NEW.role = 'ASSISTANT' AND NEW.conversation_id = '" + conversationId + "')"
        + " EXECUTE FUNCTION cairn.test_refuse_answer()");
    try {
      assertThatThrownBy(() -> sendAll(F.chat(alice), send(conversation, "Where do storks nest?")))
          .isInstanceOf(io.grpc.StatusRuntimeException.class);
      // the search did run to the point where it stores and audits (so this does not pass because
      // retrieval never started) ...
      assertThat(ChatFixture.eventually(Duration.ofSeconds(20), () -> hybridSearches() > searchesBefore)).isTrue();
      Thread.sleep(500); // past its transaction's end, committed or rolled back
    } finally {
      ddl("DROP TRIGGER test_refuse_answer ON cairn.chat_messages");
      ddl("DROP FUNCTION cairn.test_refuse_answer()");
    }
    // ... and rolled back with the send: no message, no citation, no ITEM_READ of the document
    assertThat(ChatFixture.superuser("SELECT count(*) FROM cairn.chat_messages WHERE conversation_id = ?",
        conversationId)).containsExactly("0");
    assertThat(ChatFixture.superuser("SELECT count(*) FROM (SELECT details FROM cairn.audit_pending WHERE target = ?"
        + " UNION ALL SELECT details FROM cairn.audit_events WHERE target = ?) e WHERE e.details->>'view' = 'CHAT_CITATION'",
        "items/" + item, "items/" + item)).containsExactly("0");
    // and the conversation is free for the next send, which cites the document
    F.generatorA.script(Script.of("On the same nest [1]."));
    var next = sendAll(F.chat(alice), send(conversation, "Where do storks nest?"));
    assertThat(answerText(next)).isEqualTo("On the same nest [1].");
    assertThat(next.stream().filter(SendMessageResponse::hasRetrieval).findFirst().orElseThrow()
        .getRetrieval().getCitationsList()).isNotEmpty();
  }

  /** Hybrid searches that reached the step storing what they found (their {@code then} stage). */
  private static double hybridSearches() {
    var then = F.a.meters().find("cairn.search.stage").tag("mode", "HYBRID").tag("stage", "then").timer();
    return then == null ? 0 : then.count();
  }

  private static void ddl(String sql) throws java.sql.SQLException {
    try (var c = java.sql.DriverManager.getConnection(dev.cairn.server.testing.TestDatabase.get().url(), "postgres", "");
        var st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
