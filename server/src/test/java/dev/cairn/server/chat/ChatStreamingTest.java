package dev.cairn.server.chat;

import static dev.cairn.server.chat.ChatFixture.answerText;
import static dev.cairn.server.chat.ChatFixture.eventually;
import static dev.cairn.server.chat.ChatFixture.send;
import static dev.cairn.server.chat.ChatFixture.sendAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.chat.v1.CancelMessageRequest;
import dev.cairn.chat.v1.FinishReason;
import dev.cairn.chat.v1.Message;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.chat.v1.StreamMessageRequest;
import dev.cairn.chat.v1.StreamMessageResponse;
import dev.cairn.server.chat.ScriptedGenerator.Script;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import io.grpc.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An answer's stream over real gRPC and PostgreSQL: its shape and offsets, cancellation from
 * another replica, a dropped call with and without detach, and a resume on a second replica.
 */
class ChatStreamingTest {
  private static final ChatFixture F = ChatFixture.INSTANCE;
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void answerStreamsStartedRetrievalDeltasWithCodePointOffsetsThenCompleted() {
    var start = F.userWithDocument("Heron notes", "Grey herons nest in colonies called heronries near water.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    String item = start.item();
    F.generatorA.script(Script.of("Herons nest ", "in heronries 🪺 [1]", "."));

    List<SendMessageResponse> events = sendAll(F.chat(alice), send(conversation, "Where do herons nest?"));

    assertThat(events.getFirst().hasStarted()).isTrue();
    var started = events.getFirst().getStarted();
    assertThat(started.getUserMessage().getText()).isEqualTo("Where do herons nest?");
    assertThat(started.getUserMessage().getSeq()).isEqualTo(1);
    assertThat(started.getMessage().getState()).isEqualTo(Message.State.STATE_STREAMING);
    assertThat(started.getMessage().getSeq()).isEqualTo(2);
    assertThat(events.get(1).hasRetrieval()).isTrue();
    var citation = events.get(1).getRetrieval().getCitations(0);
    assertThat(citation.getItem()).isEqualTo(item);
    assertThat(citation.getVersion()).isEqualTo(1);
    assertThat(citation.getChunkId()).isEqualTo("0");
    assertThat(citation.getDisplayName()).isEqualTo("Heron notes");
    assertThat(citation.getSnippet()).contains("heron");
    assertThat(citation.getGrant()).isEmpty(); // her own item
    assertThat(citation.getScore()).isPositive();
    // deltas follow each other without gaps, offsets in code points (the emoji is one)
    long offset = 0;
    for (var e : events.subList(2, events.size() - 1)) {
      assertThat(e.hasDelta()).isTrue();
      assertThat(e.getDelta().getOffset()).isEqualTo(offset);
      offset += e.getDelta().getText().codePointCount(0, e.getDelta().getText().length());
    }
    String text = answerText(events);
    assertThat(text).isEqualTo("Herons nest in heronries 🪺 [1].");
    var completed = events.getLast().getCompleted();
    assertThat(completed.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
    assertThat(completed.getTextLength()).isEqualTo(offset).isEqualTo(text.codePointCount(0, text.length()));
    assertThat(completed.getUsage().hasTimeToFirstToken()).isTrue();
    // the stored answer is what was streamed
    Message stored = F.stored(alice, started.getMessage().getName());
    assertThat(stored.getText()).isEqualTo(text);
    assertThat(stored.getState()).isEqualTo(Message.State.STATE_COMPLETED);
    assertThat(stored.getCitationsList()).containsExactly(citation);
    assertThat(stored.getReplyTo()).isEqualTo(started.getUserMessage().getName());
    // and the generator was given the passage, numbered 1
    var prompt = F.generatorA.prompts.getLast();
    assertThat(prompt.sources().getFirst().marker()).isEqualTo(1);
    assertThat(prompt.sources().getFirst().text()).contains("heronries near water");
  }

  @Test
  void cancelMessageOnAnotherReplicaStopsTheAnswerAndKeepsItsPartialTextAsCancelled() throws Exception {
    var start = F.userWithDocument("Otters", "River otters eat fish and crayfish.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    F.generatorA.script(Script.of("Otters eat ", "fish", " and never stop").holdingAfter(2));

    Iterator<SendMessageResponse> stream = F.chat(alice).sendMessage(send(conversation, "What do otters eat?"));
    String answer = stream.next().getStarted().getMessage().getName();
    assertThat(F.generatorA.awaitHeld(WAIT)).isTrue();

    long t0 = System.nanoTime();
    Message cancelled = F.chatOnB(alice).cancelMessage(CancelMessageRequest.newBuilder().setName(answer).build())
        .getMessage();
    Duration took = Duration.ofNanos(System.nanoTime() - t0);

    assertThat(cancelled.getState()).isEqualTo(Message.State.STATE_CANCELLED);
    assertThat(cancelled.getText()).isEqualTo("Otters eat fish");
    assertThat(cancelled.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
    List<SendMessageResponse> rest = new ArrayList<>();
    stream.forEachRemaining(rest::add);
    assertThat(answerText(rest)).isEqualTo("Otters eat fish");
    assertThat(rest.getLast().getCompleted().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
    assertThat(F.generatorA.cancellationsSeen.get()).isPositive();
    // replica A heard B's request through LISTEN/NOTIFY, not at its next heartbeat (5 s)
    assertThat(took).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void droppedCallWithoutDetachCancelsTheAnswer() throws Exception {
    var start = F.userWithDocument("Badgers", "Badgers live in setts.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    F.generatorA.script(Script.of("Badgers ", "live in setts", " and more").holdingAfter(1));
    String answer = F.sendAndDrop(alice, send(conversation, "Where do badgers live?"), WAIT);

    assertThat(eventually(WAIT, () -> F.stored(alice, answer).getState() == Message.State.STATE_CANCELLED)).isTrue();
    assertThat(F.stored(alice, answer).getText()).isEqualTo("Badgers ");
  }

  @Test
  void droppedCallWithDetachKeepsGeneratingToTheEnd() throws Exception {
    var start = F.userWithDocument("Moles", "Moles dig tunnels.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    F.generatorA.script(Script.of("Moles ", "dig ", "tunnels.").holdingAfter(1));
    String answer = F.sendAndDrop(alice, send(conversation, "What do moles do?").toBuilder().setDetach(true).build(),
        WAIT);
    F.generatorA.release();

    assertThat(eventually(WAIT, () -> F.stored(alice, answer).getState() == Message.State.STATE_COMPLETED)).isTrue();
    assertThat(F.stored(alice, answer).getText()).isEqualTo("Moles dig tunnels.");
  }

  @Test
  void resumeOnASecondReplicaFromAnOffsetYieldsExactlyTheStoredFinalAnswer() throws Exception {
    var start = F.userWithDocument("Swifts", "Common swifts sleep while flying.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    F.generatorA.script(new Script(List.of("Swifts ", "sleep ", "on the wing, ", "ünd ", "rarely ", "land."),
        Duration.ofMillis(30), 2));
    var call = Context.current().withCancellation();
    String answer;
    String received;
    try {
      Iterator<SendMessageResponse> stream = call.call(() -> F.chat(alice).sendMessage(
          send(conversation, "Do swifts sleep?").toBuilder().setDetach(true).build()));
      answer = call.call(() -> stream.next().getStarted().getMessage().getName());
      assertThat(F.generatorA.awaitHeld(WAIT)).isTrue();
      StringBuilder got = new StringBuilder();
      call.run(() -> {
        while (got.length() < "Swifts sleep ".length()) {
          var e = stream.next();
          if (e.hasDelta()) {
            got.append(e.getDelta().getText());
          }
        }
      });
      received = got.toString();
    } finally {
      call.cancel(null); // the client drops mid-answer
    }
    long from = received.codePointCount(0, received.length());

    Iterator<StreamMessageResponse> resumed = F.chatOnB(alice).streamMessage(
        StreamMessageRequest.newBuilder().setName(answer).setFromOffset(from).build());
    var first = resumed.next();
    F.generatorA.release();
    List<StreamMessageResponse> rest = new ArrayList<>();
    resumed.forEachRemaining(rest::add);

    assertThat(first.getStarted().hasUserMessage()).isFalse();
    assertThat(rest.getFirst().hasRetrieval()).isTrue();
    StringBuilder tail = new StringBuilder();
    long offset = from;
    for (var e : rest) {
      if (e.hasDelta()) {
        assertThat(e.getDelta().getOffset()).isEqualTo(offset);
        offset += e.getDelta().getText().codePointCount(0, e.getDelta().getText().length());
        tail.append(e.getDelta().getText());
      }
    }
    assertThat(rest.getLast().getCompleted().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
    Message stored = F.stored(alice, answer);
    assertThat(stored.getState()).isEqualTo(Message.State.STATE_COMPLETED);
    assertThat(received + tail).isEqualTo(stored.getText()).isEqualTo("Swifts sleep on the wing, ünd rarely land.");
  }

  @Test
  void aSlowReaderNeitherBlocksTheGeneratorNorMakesTheServerQueueEveryPiece() throws Exception {
    var start = F.userWithDocument("Ants", "Ants farm aphids for honeydew.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      pieces.add("word" + i + " ");
    }
    F.generatorA.script(new Script(pieces, Duration.ZERO, 0));
    var received = new java.util.concurrent.LinkedBlockingQueue<SendMessageResponse>();
    var finished = new java.util.concurrent.CountDownLatch(1);
    var requests = new java.util.concurrent.atomic.AtomicReference<io.grpc.stub.ClientCallStreamObserver<?>>();
    F.asyncChat(alice).sendMessage(send(conversation, "What do ants farm?"),
        new io.grpc.stub.ClientResponseObserver<dev.cairn.chat.v1.SendMessageRequest, SendMessageResponse>() {
          @Override
          public void beforeStart(io.grpc.stub.ClientCallStreamObserver<dev.cairn.chat.v1.SendMessageRequest> call) {
            call.disableAutoRequestWithInitial(1); // reads one event, then nothing until asked
            requests.set(call);
          }

          @Override
          public void onNext(SendMessageResponse value) {
            received.add(value);
          }

          @Override
          public void onError(Throwable t) {
            finished.countDown();
          }

          @Override
          public void onCompleted() {
            finished.countDown();
          }
        });
    String answer = received.poll(20, java.util.concurrent.TimeUnit.SECONDS).getStarted().getMessage().getName();

    // the reader reads nothing more, yet the answer is generated and stored to its end
    assertThat(eventually(WAIT, () -> F.stored(alice, answer).getState() == Message.State.STATE_COMPLETED)).isTrue();
    String stored = F.stored(alice, answer).getText();
    assertThat(stored).isEqualTo(String.join("", pieces));

    requests.get().request(Integer.MAX_VALUE);
    assertThat(finished.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    List<SendMessageResponse> events = new ArrayList<>(received);
    assertThat(answerText(events)).isEqualTo(stored);
    // what piled up while the reader slept went out as a few coalesced deltas, not 3000 queued ones
    assertThat(events.stream().filter(SendMessageResponse::hasDelta).count()).isLessThan(100);
  }

  @Test
  void aCitationOfAPdfNamesThePageThePassageIsOn() {
    TestUser alice = F.newUser("alice");
    String item = F.document(alice, "Field guide", "application/pdf", ChatFixture.pdf(List.of(
        "Chapter one is about sparrows and their songs.", "Kingfishers dive for minnows in clear streams.")));
    var conversation = F.conversation(alice);
    F.generatorA.script(Script.of("Minnows [1]."));

    var events = sendAll(F.chat(alice), send(conversation, "What do kingfishers dive for?"));

    var citation = events.get(1).getRetrieval().getCitations(0);
    assertThat(citation.getItem()).isEqualTo(item);
    assertThat(citation.getPage()).isEqualTo(2);
    assertThat(F.generatorA.prompts.getLast().sources().getFirst().page()).isEqualTo(2);
  }

  @Test
  void anExpiredDeadlineWithoutDetachCancelsTheAnswerAndKeepsItsText() throws Exception {
    var start = F.userWithDocument("Storks", "White storks migrate to Africa.");
    TestUser alice = start.user();
    var conversation = start.conversation();
    F.generatorA.script(Script.of("Storks migrate", " south").holdingAfter(1));

    var e = org.assertj.core.api.Assertions.catchThrowableOfType(io.grpc.StatusRuntimeException.class, () ->
        sendAll(F.chat(alice).withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS),
            send(conversation, "Where do storks go?")));

    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.DEADLINE_EXCEEDED);
    var answer = F.chat(alice).listMessages(dev.cairn.chat.v1.ListMessagesRequest.newBuilder()
        .setParent(conversation.getName()).build()).getMessages(1).getName();
    assertThat(eventually(WAIT, () -> F.stored(alice, answer).getState() == Message.State.STATE_CANCELLED)).isTrue();
    assertThat(F.stored(alice, answer).getText()).isEqualTo("Storks migrate");
  }
}
