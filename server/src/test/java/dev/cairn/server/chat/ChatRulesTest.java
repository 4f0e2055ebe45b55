package dev.cairn.server.chat;

import static dev.cairn.server.chat.ChatFixture.answerText;
import static dev.cairn.server.chat.ChatFixture.id;
import static dev.cairn.server.chat.ChatFixture.send;
import static dev.cairn.server.chat.ChatFixture.sendAll;
import static dev.cairn.server.chat.ChatFixture.superuser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cairn.chat.v1.CancelMessageRequest;
import dev.cairn.chat.v1.Conversation;
import dev.cairn.chat.v1.DeleteConversationRequest;
import dev.cairn.chat.v1.FinishReason;
import dev.cairn.chat.v1.GetConversationRequest;
import dev.cairn.chat.v1.ListConversationsRequest;
import dev.cairn.chat.v1.ListMessagesRequest;
import dev.cairn.chat.v1.Message;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.chat.v1.StreamMessageRequest;
import dev.cairn.server.chat.ScriptedGenerator.Script;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The rules around answers: NO_SOURCES, request_id idempotency, one answer at a time under 200
 * concurrent sends with gap-free seqs, branches and regeneration, isolation between users and
 * grants, and bad input.
 */
class ChatRulesTest {
  private static final ChatFixture F = ChatFixture.INSTANCE;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void nothingReadableAnswersNoSourcesWithoutCallingTheGenerator() {
    TestUser alice = F.newUser("alice");
    var conversation = F.conversation(alice);
    int calls = F.generatorA.calls.get();

    List<SendMessageResponse> events = sendAll(F.chat(alice), send(conversation, "What is the capital of Atlantis?"));

    assertThat(events.get(1).getRetrieval().getCitationsList()).isEmpty();
    assertThat(events.getLast().getCompleted().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_NO_SOURCES);
    assertThat(answerText(events)).contains("found nothing");
    assertThat(F.generatorA.calls.get()).isEqualTo(calls);
  }

  @Test
  void aRetryWithTheSameRequestIdReplaysTheFirstAnswerAndStoresNoSecond() {
    TestUser alice = F.newUser("alice");
    F.document(alice, "Lynx", "The Eurasian lynx hunts roe deer.");
    var conversation = F.conversation(alice);
    F.generatorA.script(Script.of("Lynx hunt ", "roe deer [1]."));
    var request = send(conversation, "What does the lynx hunt?").toBuilder()
        .setRequestId(UUID.randomUUID().toString()).build();

    var first = sendAll(F.chat(alice), request);
    var retry = sendAll(F.chatOnB(alice), request);

    assertThat(retry.getFirst().getStarted().getMessage().getName())
        .isEqualTo(first.getFirst().getStarted().getMessage().getName());
    assertThat(retry.getFirst().getStarted().getUserMessage().getName())
        .isEqualTo(first.getFirst().getStarted().getUserMessage().getName());
    assertThat(answerText(retry)).isEqualTo(answerText(first)).isEqualTo("Lynx hunt roe deer [1].");
    assertThat(retry.get(1).getRetrieval()).isEqualTo(first.get(1).getRetrieval());
    assertThat(messages(alice, conversation, "")).hasSize(2);
  }

  @Test
  void twoHundredConcurrentSendsStreamExactlyOneAnswerAndSeqsStayGapFree() throws Exception {
    TestUser alice = F.newUser("alice");
    F.document(alice, "Bees", "Honey bees dance to show where flowers are.");
    var conversation = F.conversation(alice);
    F.generatorA.script(Script.of("Bees dance.").holdingAfter(1));
    int n = 200;
    var done = new CountDownLatch(n);
    var started = new AtomicInteger();
    var failed = new AtomicInteger();
    var codes = new ConcurrentLinkedQueue<Status.Code>();
    for (int i = 0; i < n; i++) {
      F.asyncChat(alice).sendMessage(send(conversation, "Why do bees dance? " + i), new StreamObserver<>() {
        @Override
        public void onNext(SendMessageResponse value) {
          if (value.hasStarted()) {
            started.incrementAndGet();
          }
        }

        @Override
        public void onError(Throwable t) {
          codes.add(Status.fromThrowable(t).getCode());
          if (failed.incrementAndGet() == n - 1) {
            F.generatorA.release(); // every other send has been refused: the one answer may end
          }
          done.countDown();
        }

        @Override
        public void onCompleted() {
          codes.add(Status.Code.OK);
          done.countDown();
        }
      });
    }
    assertThat(done.await(2, TimeUnit.MINUTES)).isTrue();

    assertThat(started.get()).isEqualTo(1);
    assertThat(codes).filteredOn(c -> c == Status.Code.OK).hasSize(1);
    assertThat(codes).filteredOn(c -> c == Status.Code.FAILED_PRECONDITION).hasSize(n - 1);
    // more sends, one after another: the seqs are 1..m, each once
    F.generatorA.script(Script.of("Again."));
    sendAll(F.chat(alice), send(conversation, "And wasps?"));
    List<Long> seqs = superuser("SELECT seq FROM cairn.chat_messages WHERE conversation_id = ? ORDER BY seq",
        id(conversation.getName())).stream().map(Long::parseLong).toList();
    assertThat(seqs).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void editAndResendMakesASiblingBranchAndRegenerateASiblingAnswer() {
    TestUser alice = F.newUser("alice");
    F.document(alice, "Owls", "Barn owls hunt voles at night.");
    var conversation = F.conversation(alice);
    F.generatorA.script(Script.of("Owls hunt voles."));
    var first = sendAll(F.chat(alice), send(conversation, "What do owls hunt?"));
    String a1 = first.getFirst().getStarted().getMessage().getName();
    var second = sendAll(F.chat(alice), send(conversation, "When do they hunt?"));
    String m2 = second.getFirst().getStarted().getUserMessage().getName();
    String a2 = second.getFirst().getStarted().getMessage().getName();
    assertThat(second.getFirst().getStarted().getUserMessage().getParent()).isEqualTo(a1);

    // edit the second question: a sibling of m2, following a1 as m2 did
    var edited = sendAll(F.chat(alice), send(conversation, "Where do owls hunt?").toBuilder().setFollows(a1).build());
    String m2e = edited.getFirst().getStarted().getUserMessage().getName();
    String a2e = edited.getFirst().getStarted().getMessage().getName();
    // regenerate the answer to the original second question
    var again = sendAll(F.chat(alice), SendMessageRequest.newBuilder().setParent(conversation.getName())
        .setRegenerate(m2).build());
    String a2r = again.getFirst().getStarted().getMessage().getName();

    assertThat(F.generatorA.prompts.getLast().history()).extracting(t -> t.text())
        .containsExactly("What do owls hunt?", "Owls hunt voles.");
    assertThat(again.getFirst().getStarted().getMessage().getReplyTo()).isEqualTo(m2);
    assertThat(names(messages(alice, conversation, a2e))).containsExactly(
        first.getFirst().getStarted().getUserMessage().getName(), a1, m2e, a2e);
    assertThat(names(messages(alice, conversation, a2))).containsExactly(
        first.getFirst().getStarted().getUserMessage().getName(), a1, m2, a2);
    assertThat(names(messages(alice, conversation, a2r))).containsExactly(
        first.getFirst().getStarted().getUserMessage().getName(), a1, m2, a2r);
    assertThat(messages(alice, conversation, "")).hasSize(7);
  }

  @Test
  void aStrangerCannotSeeStreamCancelListOrDeleteAnotherUsersConversation() {
    TestUser alice = F.newUser("alice");
    TestUser stranger = F.newUser("stranger");
    F.document(alice, "Secret", "The vault combination is walrus.");
    var conversation = F.conversation(alice);
    F.generatorA.script(Script.of("It is walrus [1]."));
    var events = sendAll(F.chat(alice), send(conversation, "What is the vault combination?"));
    String answer = events.getFirst().getStarted().getMessage().getName();
    var chat = F.chat(stranger);

    assertNotFound(() -> chat.getConversation(GetConversationRequest.newBuilder().setName(conversation.getName()).build()));
    assertNotFound(() -> chat.listMessages(ListMessagesRequest.newBuilder().setParent(conversation.getName()).build()));
    assertNotFound(() -> chat.streamMessage(StreamMessageRequest.newBuilder().setName(answer).build()).next());
    assertNotFound(() -> chat.cancelMessage(CancelMessageRequest.newBuilder().setName(answer).build()));
    assertNotFound(() -> chat.deleteConversation(DeleteConversationRequest.newBuilder().setName(conversation.getName()).build()));
    assertNotFound(() -> chat.sendMessage(send(conversation, "hi")).next());
    assertThat(chat.listConversations(ListConversationsRequest.getDefaultInstance()).getConversationsList()).isEmpty();
    // the stranger's own chat never cites or quotes Alice's item
    var own = sendAll(chat, send(F.conversation(stranger), "What is the vault combination?"));
    assertThat(own.get(1).getRetrieval().getCitationsList()).isEmpty();
    assertThat(answerText(own)).doesNotContain("walrus");
    // and Alice's conversation is intact
    assertThat(F.chat(alice).getConversation(GetConversationRequest.newBuilder().setName(conversation.getName()).build())
        .getConversation().getMessageCount()).isEqualTo(2);
  }

  @Test
  void aGranteesCitationNamesTheGrantIsAuditedAsAReadAndStopsOnceTheGrantIsRevoked() {
    TestUser alice = F.newUser("alice");
    TestUser bob = F.newUser("bob");
    String item = F.document(alice, "Shared recipe", "The secret ingredient of the stew is juniper.");
    String grant = F.grant(alice, bob, item);
    var conversation = F.conversation(bob);
    F.generatorA.script(Script.of("Juniper [1]."));

    var events = sendAll(F.chat(bob), send(conversation, "What is the secret ingredient of the stew?"));

    var citations = events.get(1).getRetrieval().getCitationsList();
    assertThat(citations).hasSize(1);
    assertThat(citations.getFirst().getItem()).isEqualTo(item);
    assertThat(citations.getFirst().getGrant()).isEqualTo(grant);
    F.chainAudit();
    assertThat(superuser("SELECT via_grant::text FROM cairn.audit_events WHERE owner_id = ? AND action = 'ITEM_READ'"
        + " AND target = ? AND actor = ?", UUID.fromString(alice.id()), item, bob.user().getName()))
        .containsExactly(id(grant).toString());

    F.revoke(alice, grant);
    var after = sendAll(F.chat(bob), send(conversation, "What is the secret ingredient of the stew?"));

    assertThat(after.get(1).getRetrieval().getCitationsList()).isEmpty();
    assertThat(after.getLast().getCompleted().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_NO_SOURCES);
  }

  @Test
  void aCitationReadUnderAConsentNamesItsGrantIsAuditedUnderTheConsentAndStopsOnceTheConsentIsRevoked() {
    TestUser alice = F.newUser("alice");
    TestUser bank = F.newUser("bank");
    String item = F.document(alice, "Payslip", "The monthly net salary on the payslip is 4200 kroner.");
    var consent = F.consent(alice, bank, item);
    var conversation = F.conversation(bank);
    F.generatorA.script(Script.of("4200 kroner [1]."));

    var events = sendAll(F.chat(bank), send(conversation, "What is the monthly net salary on the payslip?"));

    var citations = events.get(1).getRetrieval().getCitationsList();
    assertThat(citations).hasSize(1);
    assertThat(citations.getFirst().getItem()).isEqualTo(item);
    assertThat(consent.getGrantsList()).contains(citations.getFirst().getGrant());
    F.chainAudit();
    assertThat(superuser("SELECT via_consent::text FROM cairn.audit_events WHERE owner_id = ? AND action = 'ITEM_READ'"
        + " AND target = ? AND actor = ?", UUID.fromString(alice.id()), item, bank.user().getName()))
        .containsExactly(id(consent.getName()).toString());

    F.revokeConsent(alice, consent.getName());
    var after = sendAll(F.chat(bank), send(conversation, "What is the monthly net salary on the payslip?"));

    assertThat(after.get(1).getRetrieval().getCitationsList()).isEmpty();
    assertThat(after.getLast().getCompleted().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_NO_SOURCES);
  }

  @Test
  void badInputIsInvalidArgumentNamingTheField() {
    TestUser alice = F.newUser("alice");
    var conversation = F.conversation(alice);
    var chat = F.chat(alice);

    assertInvalid("parent", () -> chat.sendMessage(SendMessageRequest.newBuilder().setParent("conversations/a b")
        .setText("hi").build()).next());
    assertInvalid("text", () -> chat.sendMessage(SendMessageRequest.newBuilder().setParent(conversation.getName())
        .build()).next());
    assertInvalid("from_offset", () -> chat.streamMessage(StreamMessageRequest.newBuilder()
        .setName(conversation.getName() + "/messages/" + UUID.randomUUID()).setFromOffset(-1).build()).next());
    assertInvalid("name", () -> chat.getConversation(GetConversationRequest.newBuilder().setName("items/x").build()));
    assertInvalid("page_token", () -> chat.listConversations(ListConversationsRequest.newBuilder()
        .setPageToken("Zm9yZ2Vk").build()));
    assertInvalid("page_token", () -> chat.listMessages(ListMessagesRequest.newBuilder()
        .setParent(conversation.getName()).setPageToken("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA").build()));
    assertInvalid("follows", () -> chat.sendMessage(send(conversation, "hi").toBuilder()
        .setFollows("conversations/" + UUID.randomUUID() + "/messages/" + UUID.randomUUID()).build()).next());
    // and nothing was stored by any of them
    assertThat(messages(alice, conversation, "")).isEmpty();
    // a question follows an answer, never another question
    var first = sendAll(chat, send(conversation, "Anything on narwhals?"));
    String question = first.getFirst().getStarted().getUserMessage().getName();
    assertInvalid("follows", () -> chat.sendMessage(send(conversation, "hi").toBuilder().setFollows(question).build())
        .next());
    assertInvalid("text", () -> chat.sendMessage(SendMessageRequest.newBuilder().setParent(conversation.getName())
        .setRegenerate(question).setText("again").build()).next());
    assertThat(messages(alice, conversation, "")).hasSize(2);
  }

  @Test
  void resumingPastTheEndOfAnEndedAnswerIsOutOfRange() {
    TestUser alice = F.newUser("alice");
    var conversation = F.conversation(alice);
    var events = sendAll(F.chat(alice), send(conversation, "Anything about zebras?"));
    String answer = events.getFirst().getStarted().getMessage().getName();
    long length = events.getLast().getCompleted().getTextLength();

    var e = catchThrowableOfType(StatusRuntimeException.class, () -> F.chat(alice).streamMessage(
        StreamMessageRequest.newBuilder().setName(answer).setFromOffset(length + 1).build()).next());

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
    // at the very end: nothing more to send, but a well-formed stream
    var atEnd = new ArrayList<dev.cairn.chat.v1.StreamMessageResponse>();
    F.chat(alice).streamMessage(StreamMessageRequest.newBuilder().setName(answer).setFromOffset(length).build())
        .forEachRemaining(atEnd::add);
    assertThat(atEnd).noneMatch(dev.cairn.chat.v1.StreamMessageResponse::hasDelta);
    assertThat(atEnd.getLast().getCompleted().getTextLength()).isEqualTo(length);
  }

  private static List<Message> messages(TestUser user, Conversation c, String branch) {
    return F.chat(user).listMessages(ListMessagesRequest.newBuilder().setParent(c.getName()).setBranch(branch)
        .setPageSize(100).build()).getMessagesList();
  }

  private static List<String> names(List<Message> messages) {
    return messages.stream().map(Message::getName).toList();
  }

  private static void assertNotFound(Runnable call) {
    var e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("expected NOT_FOUND").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  private static void assertInvalid(String field, Runnable call) {
    var e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("expected INVALID_ARGUMENT on " + field).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolationsList())
        .anySatisfy(v -> assertThat(v.getField()).isEqualTo(field));
  }
}
