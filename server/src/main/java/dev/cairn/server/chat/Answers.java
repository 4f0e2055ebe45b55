package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.chat.generate.Cancellation;
import dev.cairn.server.chat.generate.Prompt;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.content.ContentStore.MessageTexts;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Now;
import dev.cairn.server.db.Database;
import dev.cairn.type.v1.ErrorReason;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * SendMessage and StreamMessage. A send takes the conversation's row lock, allocates the next
 * seqs and marks its answer as the one streaming (or finds the answer of an earlier send with
 * the same request_id and replays it), then generation runs apart from the call (see
 * {@link AnswerGeneration}) while the call is fed from the answer's memory. StreamMessage reads
 * the stored answer from an offset and follows its checkpoints until it ends, on any replica.
 */
public final class Answers {
  /** The most earlier turns of the branch handed to the generator. */
  static final int HISTORY_TURNS = 20;
  private static final int TITLE_CODE_POINTS = 60;

  private final Database database;
  private final ChatRepository repository;
  private final MessageStore messages;
  private final ChatService chats;
  private final AnswerGeneration generation;
  private final ChatSignals signals;
  private final ChatMetrics metrics;
  private final Clock clock;
  private final Supplier<UUID> ids;

  Answers(Database database, ChatRepository repository, MessageStore messages, ChatService chats,
      AnswerGeneration generation, ChatSignals signals, ChatMetrics metrics, Clock clock, Supplier<UUID> ids) {
    this.database = requireNonNull(database, "database");
    this.repository = requireNonNull(repository, "repository");
    this.messages = requireNonNull(messages, "messages");
    this.chats = requireNonNull(chats, "chats");
    this.generation = requireNonNull(generation, "generation");
    this.signals = requireNonNull(signals, "signals");
    this.metrics = requireNonNull(metrics, "metrics");
    this.clock = requireNonNull(clock, "clock");
    this.ids = requireNonNull(ids, "ids");
  }

  /** What the send's transaction found or made. */
  private record Start(Chat.Message user, Chat.Message answer, boolean replay,
      AnswerGeneration.@Nullable Job job) {}

  /**
   * Sends and streams the answer into {@code sink} until it ends; {@code call} says when the call
   * ended (without {@code detach}, that cancels the answer). {@code receivedNanos} ({@link
   * System#nanoTime}) is when the call reached the server: the time to first token counts from it.
   */
  public void send(Caller caller, Chat.Send send, boolean detach, Chat.AnswerSink sink, Cancellation call,
      long receivedNanos) {
    checkSend(send);
    long sending = System.nanoTime();
    metrics.stage("received_to_send", sending - receivedNanos);
    // completed once the send's transaction has committed: its early retrieval stores the
    // citations only then (and rolls back if the send did)
    var sent = new CompletableFuture<Void>();
    Start start;
    try {
      start = database.transaction(caller, sql -> start(sql, caller, send, receivedNanos, sent));
    } catch (RuntimeException | Error e) {
      sent.completeExceptionally(e);
      throw e;
    }
    sent.complete(null);
    metrics.stage("send_tx", System.nanoTime() - sending);
    if (start.replay()) {
      follow(caller, start.answer().conversationId(), start.answer().id(), 0, start.user(), sink, call);
      return;
    }
    AnswerRun run = requireNonNull(start.job()).run();
    call.onCancel(() -> {
      if (!detach) {
        metrics.cancelled("call_ended");
        run.cancel();
      }
    });
    generation.start(start.job());
    metrics.streamOpened();
    try {
      deliver(run, start.user(), start.answer(), sink, call);
    } finally {
      metrics.streamClosed();
    }
  }

  private static void checkSend(Chat.Send send) {
    if (send.regenerate() != null) {
      if (!send.text().isEmpty()) {
        throw CairnException.invalidField("text", "set together with regenerate (expected: empty when regenerating)");
      }
      if (send.follows() != null || send.fromStart()) {
        throw CairnException.invalidField("regenerate", "set together with follows or from_start (expected: one of them)");
      }
      return;
    }
    if (send.text().isBlank()) {
      throw CairnException.invalidField("text", "empty (expected: 1..16000 characters, or set regenerate)");
    }
    if (send.follows() != null && send.fromStart()) {
      throw CairnException.invalidField("from_start", "set together with follows (expected: one of them)");
    }
  }

  /**
   * The send's transaction, in as few round trips as it can: the conversation locked (and the
   * request_id looked up, when set), the owner's key read once, the branch links only when the
   * conversation has messages, and both new messages and the conversation's update sent as one
   * batch; the messages streamed back are made from what was written, not read again.
   */
  private Start start(DSLContext sql, Caller caller, Chat.Send send, long receivedNanos, CompletableFuture<Void> sent) {
    UUID me = caller.requireUserId();
    UUID conversation = send.conversationId();
    // the lock first, then the lookups, each its own statement: under READ COMMITTED a statement
    // that waited for the lock still reads with its older snapshot, so a lookup folded into the
    // locking SELECT would miss what the send before it just committed
    ChatRepository.LockedConversation row = repository.lockConversation(sql, me, conversation)
        .orElseThrow(() -> ChatService.notFound(conversation));
    if (send.requestId() != null) {
      var earlier = repository.answerByRequest(sql, me, conversation, send.requestId());
      if (earlier.isPresent()) {
        return replay(sql, me, conversation, earlier.get().id());
      }
    }
    requireIdle(sql, me, row);
    UUID answerId = ids.get();
    var run = new AnswerRun(me, conversation, answerId, receivedNanos);
    var filter = row.conversation().filter();
    CompletableFuture<Retrieval.Found> retrieval = null;
    if (send.regenerate() == null) {
      // The retrieval (the question's vector, then the search) starts on its own thread now,
      // while the rest of this transaction runs; only once the conversation is known to be free,
      // so a burst of refused sends starts no model runs and no searches.
      retrieval = generation.retrieveEarly(caller, run, send.text(), filter, sent);
    }
    MessageTexts cipher = messages.cipher(sql, me);
    List<ChatRepository.Link> links = row.conversation().messageCount() == 0 ? List.of() : repository.links(sql, me, conversation);
    OffsetDateTime now = now();
    long seq = row.nextSeq();
    List<ChatRepository.NewMessage> rows = new ArrayList<>();
    Chat.Message user;
    if (send.regenerate() != null) {
      var m = repository.message(sql, me, conversation, send.regenerate())
          .orElseThrow(() -> ChatService.notFound(conversation, send.regenerate()));
      if (m.role() != Chat.Role.USER) {
        throw CairnException.invalidField("regenerate", "conversations/" + conversation + "/messages/"
            + send.regenerate() + " is an answer (expected: the user message to answer again)");
      }
      user = messages.decrypt(cipher, m);
      retrieval = generation.retrieveEarly(caller, run, user.text(), filter, sent);
    } else {
      UUID parent = parent(links, conversation, send);
      UUID id = ids.get();
      rows.add(new ChatRepository.NewMessage(id, seq, Chat.Role.USER, parent, null, Chat.State.COMPLETED,
          cipher.encrypt(conversation, id, MessageTexts.TEXT, utf8(send.text())), length(send.text())));
      user = new Chat.Message(id, conversation, seq, Chat.Role.USER, send.text(), Chat.State.COMPLETED, null,
          Chat.Usage.NONE, null, null, null, parent, now, now);
      seq++;
    }
    rows.add(new ChatRepository.NewMessage(answerId, seq, Chat.Role.ASSISTANT, user.id(), send.requestId(),
        Chat.State.STREAMING, cipher.encrypt(conversation, answerId, MessageTexts.TEXT, utf8("")), 0));
    Chat.Message answer = new Chat.Message(answerId, conversation, seq, Chat.Role.ASSISTANT, "", Chat.State.STREAMING,
        null, Chat.Usage.NONE, null, null, null, user.id(), now, null);
    String title = row.conversation().displayName().isEmpty() && row.conversation().messageCount() == 0 ? title(user.text()) : null;
    repository.startAnswer(sql, me, conversation, rows, seq + 1, row.conversation().messageCount() + rows.size(), answerId, title,
        now);
    var job = new AnswerGeneration.Job(caller, run, user.text(),
        history(sql, cipher, me, conversation, links, user.parentId()), filter, requireNonNull(retrieval));
    return new Start(user, answer, false, job);
  }

  /** A retried send: the answer the first one made, streamed again (no second answer). */
  private Start replay(DSLContext sql, UUID me, UUID conversation, UUID answerId) {
    Chat.Message answer = messages.decrypt(sql, repository.message(sql, me, conversation, answerId).orElseThrow());
    Chat.Message user = messages.decrypt(sql, repository.message(sql, me, conversation,
        requireNonNull(answer.parentId())).orElseThrow());
    return new Start(user, answer, true, null);
  }

  /**
   * One answer at a time: FAILED_PRECONDITION while one streams, unless its replica stopped
   * checkpointing long ago (it died): that answer is marked FAILED and the send goes ahead.
   */
  private void requireIdle(DSLContext sql, UUID me, ChatRepository.LockedConversation row) {
    UUID streaming = row.streamingMessage();
    if (streaming == null) {
      return;
    }
    var m = repository.message(sql, me, row.conversation().id(), streaming);
    if (m.isPresent() && m.get().state() == Chat.State.STREAMING) {
      Duration silent = Duration.between(m.get().heartbeatAt().toInstant(), clock.instant());
      if (silent.compareTo(AnswerGeneration.ORPHANED_AFTER) < 0) {
        throw CairnException.failedPrecondition("conversations/" + row.conversation().id() + " is still answering (messages/"
            + streaming + "); wait for it to end, follow it with StreamMessage or stop it with CancelMessage");
      }
      repository.finish(sql, me, streaming, Chat.State.FAILED, m.get().ciphertext(), m.get().textLength(),
          Chat.Finish.ERROR, Chat.Usage.NONE, CairnException.Kind.UNAVAILABLE.name(),
          "the server generating this answer stopped; the text so far is kept", now());
      repository.notify(sql, ChatSignals.PROGRESS + streaming);
    }
  }

  /** The message a new user message follows: named, none (from the start), or the latest. */
  private static @Nullable UUID parent(List<ChatRepository.Link> links, UUID conversation, Chat.Send send) {
    if (send.fromStart()) {
      return null;
    }
    if (send.follows() != null) {
      var m = links.stream().filter(l -> l.id().equals(send.follows())).findFirst()
          .orElseThrow(() -> ChatService.notFound(conversation, send.follows()));
      if (m.role() != Chat.Role.ASSISTANT) {
        // a question follows an answer; to ask a user message again, regenerate it
        throw CairnException.invalidField("follows", "conversations/" + conversation + "/messages/" + m.id()
            + " is a user message (expected: the answer the new message follows, or from_start)");
      }
      return m.id();
    }
    return links.isEmpty() ? null : links.getLast().id();
  }

  private List<Prompt.Turn> history(DSLContext sql, MessageTexts cipher, UUID me, UUID conversation,
      List<ChatRepository.Link> links, @Nullable UUID parent) {
    if (parent == null) {
      return List.of();
    }
    List<UUID> path = ChatService.path(links, conversation, parent);
    List<UUID> recent = path.subList(Math.max(0, path.size() - HISTORY_TURNS), path.size());
    List<Prompt.Turn> turns = new ArrayList<>();
    for (var m : repository.messages(sql, me, conversation, 0, recent, recent.size())) {
      Chat.Message decrypted = messages.decrypt(cipher, m);
      if (!decrypted.text().isEmpty()) {
        turns.add(new Prompt.Turn(m.role() == Chat.Role.USER ? Prompt.Role.USER : Prompt.Role.ASSISTANT,
            decrypted.text()));
      }
    }
    return turns;
  }

  /** Feeds the call from the answer's memory: what exists now, coalesced, whenever the client can take it. */
  private void deliver(AnswerRun run, Chat.Message user, Chat.Message answer, Chat.AnswerSink sink, Cancellation call) {
    sink.started(user, answer);
    boolean citationsSent = false;
    int sent = 0;
    try {
      while (true) {
        if (call.isCancelled()) {
          throw CairnException.cancelled("the call ended");
        }
        AnswerRun.Snapshot now = run.snapshot();
        if (!citationsSent && now.citations() != null) {
          sink.retrieval(now.citations());
          citationsSent = true;
          metrics.stage("received_to_event", run.elapsed().toNanos());
        }
        if (citationsSent && now.codePoints() > sent) {
          sink.delta(now.text().substring(now.text().offsetByCodePoints(0, sent)), sent);
          metrics.delta();
          sent = now.codePoints();
        }
        AnswerRun.Outcome outcome = now.outcome();
        if (outcome != null && sent == now.codePoints()) {
          if (!citationsSent) {
            sink.retrieval(List.of());
          }
          if (outcome.error() != null) {
            throw outcome.error();
          }
          sink.completed(outcome.usage(), outcome.finish(), sent);
          return;
        }
        run.awaitChange(sent, citationsSent, Duration.ofSeconds(1));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CairnException.cancelled("interrupted");
    }
  }

  /** StreamMessage: the stored answer from {@code from} on, then its checkpoints until it ends. */
  public void stream(Caller caller, UUID conversation, UUID message, long from, Chat.AnswerSink sink, Cancellation call) {
    Chat.Message m = chats.read(caller, conversation, message);
    ChatService.requireAnswer(m.role(), conversation, message);
    follow(caller, conversation, message, from, null, sink, call);
  }

  private void follow(Caller caller, UUID conversation, UUID message, long from, Chat.@Nullable Message user,
      Chat.AnswerSink sink, Cancellation call) {
    metrics.streamOpened();
    try {
      long seen = signals.seen();
      Chat.Message m = chats.read(caller, conversation, message);
      // an offset not reached yet is waited for while the answer streams; past an ended answer it is out of range
      while (!m.ended() && from > m.length()) {
        seen = await(seen, call);
        m = chats.read(caller, conversation, message);
      }
      if (from > m.length()) {
        throw CairnException.outOfRange("from_offset", from + " is past the end of the answer (expected: 0.."
            + m.length() + ")");
      }
      sink.started(user, m);
      boolean citationsSent = false;
      long sent = from;
      while (true) {
        if (!citationsSent && (m.citations() != null || m.ended())) {
          sink.retrieval(m.citations() == null ? List.of() : m.citations());
          citationsSent = true;
        }
        if (citationsSent && m.length() > sent) {
          sink.delta(m.text().substring(m.text().offsetByCodePoints(0, (int) sent)), sent);
          metrics.delta();
          sent = m.length();
        }
        if (m.ended() && sent >= m.length()) {
          if (m.state() == Chat.State.FAILED) {
            throw storedError(m);
          }
          sink.completed(m.usage(), requireNonNull(m.finish()), sent);
          return;
        }
        seen = await(seen, call);
        m = chats.read(caller, conversation, message);
      }
    } finally {
      metrics.streamClosed();
    }
  }

  /** Waits for the next notification (or a poll's worth of time); returns the generation to wait past next. */
  private long await(long seen, Cancellation call) {
    if (call.isCancelled()) {
      throw CairnException.cancelled("the call ended");
    }
    try {
      signals.awaitAfter(seen, ChatSignals.poll());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CairnException.cancelled("interrupted");
    }
    return signals.seen();
  }

  private static CairnException storedError(Chat.Message m) {
    String message = m.errorMessage() == null ? "the answer failed" : m.errorMessage();
    if (CairnException.Kind.UNAVAILABLE.name().equals(m.errorCode())) {
      return CairnException.unavailable(message);
    }
    return new CairnException(CairnException.Kind.INTERNAL, ErrorReason.ERROR_REASON_INTERNAL, "internal error",
        Map.of(), List.of());
  }

  private static byte[] utf8(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static int length(String text) {
    return text.codePointCount(0, text.length());
  }

  private static String title(String text) {
    String oneLine = text.strip().replaceAll("\\s+", " ");
    return length(oneLine) <= TITLE_CODE_POINTS ? oneLine
        : oneLine.substring(0, oneLine.offsetByCodePoints(0, TITLE_CODE_POINTS - 1)) + "…";
  }

  private OffsetDateTime now() {
    return Now.of(clock);
  }
}
