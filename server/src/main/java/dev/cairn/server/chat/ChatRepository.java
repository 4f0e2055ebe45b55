package dev.cairn.server.chat;

import static dev.cairn.server.db.jooq.Tables.CHAT_MESSAGES;
import static dev.cairn.server.db.jooq.Tables.CONVERSATIONS;

import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.jooq.tables.records.ChatMessagesRecord;
import dev.cairn.server.db.jooq.tables.records.ConversationsRecord;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Query;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * The chat tables. Every query names the owner as well as the id: row-level security (owner only)
 * is the second wall, not the first.
 */
final class ChatRepository {
  static final String CHANNEL = "cairn_chat";

  /** A message row as stored (text and citations still encrypted). */
  record StoredMessage(UUID id, UUID conversationId, UUID ownerId, long seq, Chat.Role role, @Nullable UUID parentId,
      @Nullable UUID requestId, Chat.State state, byte[] ciphertext, int textLength, byte @Nullable [] citations,
      boolean cancelRequested, Chat.@Nullable Finish finish, int promptTokens, int completionTokens,
      @Nullable Long firstTokenMs, @Nullable Long totalMs, @Nullable String errorCode, @Nullable String errorMessage,
      OffsetDateTime createdAt, OffsetDateTime heartbeatAt, @Nullable OffsetDateTime endedAt) {}

  /**
   * A conversation as a send sees it under its lock: what its owner sees, and the next message
   * seq and the answer streaming now, if any.
   */
  record LockedConversation(Chat.Conversation conversation, long nextSeq, @Nullable UUID streamingMessage) {}

  /** The branch links of a conversation's messages, for path walks. */
  record Link(UUID id, long seq, @Nullable UUID parentId, Chat.Role role) {}

  // ------------------------------------------------------------ conversations

  void insertConversation(DSLContext sql, UUID owner, UUID id, @Nullable UUID requestId, String displayName,
      JSONB filter, OffsetDateTime now) {
    sql.insertInto(CONVERSATIONS)
        .set(CONVERSATIONS.OWNER_ID, owner)
        .set(CONVERSATIONS.ID, id)
        .set(CONVERSATIONS.REQUEST_ID, requestId)
        .set(CONVERSATIONS.DISPLAY_NAME, displayName)
        .set(CONVERSATIONS.RETRIEVAL_FILTER, filter)
        .set(CONVERSATIONS.CREATED_AT, now)
        .set(CONVERSATIONS.UPDATED_AT, now)
        .onConflict(CONVERSATIONS.OWNER_ID, CONVERSATIONS.REQUEST_ID).doNothing()
        .execute();
  }

  Optional<Chat.Conversation> conversationByRequest(DSLContext sql, UUID owner, UUID requestId) {
    return sql.selectFrom(CONVERSATIONS)
        .where(CONVERSATIONS.OWNER_ID.eq(owner).and(CONVERSATIONS.REQUEST_ID.eq(requestId)))
        .fetchOptional(ChatRepository::conversation);
  }

  Optional<Chat.Conversation> conversation(DSLContext sql, UUID owner, UUID id) {
    return sql.selectFrom(CONVERSATIONS).where(CONVERSATIONS.OWNER_ID.eq(owner).and(CONVERSATIONS.ID.eq(id)))
        .fetchOptional(ChatRepository::conversation);
  }

  /**
   * The conversation, locked: every send and every answer's end take this lock first, so seq
   * allocation and the one-answer-at-a-time rule are decided one transaction after another.
   */
  Optional<LockedConversation> lockConversation(DSLContext sql, UUID owner, UUID id) {
    return sql.selectFrom(CONVERSATIONS).where(CONVERSATIONS.OWNER_ID.eq(owner).and(CONVERSATIONS.ID.eq(id)))
        .forUpdate().fetchOptional(r -> new LockedConversation(conversation(r), r.getNextSeq(), r.getStreamingMessage()));
  }

  private static Chat.Conversation conversation(ConversationsRecord r) {
    return new Chat.Conversation(r.getId(), r.getOwnerId(), r.getDisplayName(),
        ChatCodec.filter(Jsonb.object(r.getRetrievalFilter())), r.getMessageCount(), r.getCreatedAt(),
        r.getUpdatedAt(), r.getRevision());
  }

  List<Chat.Conversation> conversations(DSLContext sql, UUID owner, @Nullable OffsetDateTime afterTime,
      @Nullable UUID afterId, int limit) {
    var where = CONVERSATIONS.OWNER_ID.eq(owner);
    if (afterTime != null && afterId != null) {
      where = where.and(DSL.row(CONVERSATIONS.UPDATED_AT, CONVERSATIONS.ID).lt(afterTime, afterId));
    }
    return sql.selectFrom(CONVERSATIONS).where(where)
        .orderBy(CONVERSATIONS.UPDATED_AT.desc(), CONVERSATIONS.ID.desc()).limit(limit).fetch(ChatRepository::conversation);
  }

  int deleteConversation(DSLContext sql, UUID owner, UUID id) {
    return sql.deleteFrom(CONVERSATIONS).where(CONVERSATIONS.OWNER_ID.eq(owner).and(CONVERSATIONS.ID.eq(id))).execute();
  }

  /** A message row to insert. */
  record NewMessage(UUID id, long seq, Chat.Role role, @Nullable UUID parent, @Nullable UUID requestId,
      Chat.State state, byte[] ciphertext, int textLength) {}

  /**
   * Records that an answer started, in one round trip: its messages inserted (one statement; the
   * parent links are checked at its end, so an answer may follow the question inserted with it)
   * and the conversation updated — seqs taken, the answer marked as the one streaming.
   */
  void startAnswer(DSLContext sql, UUID owner, UUID id, List<NewMessage> rows, long nextSeq, long messageCount,
      UUID streaming, @Nullable String displayName, OffsetDateTime now) {
    var insert = sql.insertInto(CHAT_MESSAGES, CHAT_MESSAGES.OWNER_ID, CHAT_MESSAGES.CONVERSATION_ID, CHAT_MESSAGES.ID,
        CHAT_MESSAGES.SEQ, CHAT_MESSAGES.ROLE, CHAT_MESSAGES.PARENT_ID, CHAT_MESSAGES.REQUEST_ID, CHAT_MESSAGES.STATE,
        CHAT_MESSAGES.CIPHERTEXT, CHAT_MESSAGES.TEXT_LENGTH, CHAT_MESSAGES.CREATED_AT, CHAT_MESSAGES.HEARTBEAT_AT,
        CHAT_MESSAGES.ENDED_AT);
    for (NewMessage m : rows) {
      insert = insert.values(owner, id, m.id(), m.seq(), m.role().name(), m.parent(), m.requestId(), m.state().name(),
          m.ciphertext(), m.textLength(), now, now, m.state() == Chat.State.STREAMING ? null : now);
    }
    var update = sql.update(CONVERSATIONS)
        .set(CONVERSATIONS.NEXT_SEQ, nextSeq)
        .set(CONVERSATIONS.MESSAGE_COUNT, messageCount)
        .set(CONVERSATIONS.STREAMING_MESSAGE, streaming)
        .set(CONVERSATIONS.REVISION, CONVERSATIONS.REVISION.plus(1))
        .set(CONVERSATIONS.UPDATED_AT, now);
    if (displayName != null) {
      update = update.set(CONVERSATIONS.DISPLAY_NAME, displayName);
    }
    sql.batch(insert, update.where(CONVERSATIONS.OWNER_ID.eq(owner).and(CONVERSATIONS.ID.eq(id)))).execute();
  }

  /**
   * An answer's end in one round trip: the conversation freed for the next send (when this is
   * still its streaming answer), the answer's final state (when it still streams), and a
   * notification. The conversation row is locked first, as a send and a delete lock it, so the
   * three never wait on each other's rows in opposite order.
   */
  void endAnswer(DSLContext sql, UUID owner, UUID conversation, UUID message, Chat.State state, byte[] ciphertext,
      int textLength, Chat.Finish finish, Chat.Usage usage, @Nullable String errorCode, @Nullable String errorMessage,
      OffsetDateTime now) {
    var freed = sql.update(CONVERSATIONS)
        .set(CONVERSATIONS.STREAMING_MESSAGE, (UUID) null)
        .set(CONVERSATIONS.REVISION, CONVERSATIONS.REVISION.plus(1))
        .set(CONVERSATIONS.UPDATED_AT, now)
        .where(CONVERSATIONS.OWNER_ID.eq(owner).and(CONVERSATIONS.ID.eq(conversation)))
        .and(CONVERSATIONS.STREAMING_MESSAGE.eq(message));
    sql.batch(freed, finishQuery(sql, owner, message, state, ciphertext, textLength, finish, usage, errorCode,
        errorMessage, now), notifyStatement(sql, ChatSignals.PROGRESS + message)).execute();
  }

  // ------------------------------------------------------------ messages

  Optional<StoredMessage> message(DSLContext sql, UUID owner, UUID conversation, UUID id) {
    return sql.selectFrom(CHAT_MESSAGES)
        .where(CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.CONVERSATION_ID.eq(conversation))
            .and(CHAT_MESSAGES.ID.eq(id)))
        .fetchOptional().map(ChatRepository::stored);
  }

  Optional<StoredMessage> lockMessage(DSLContext sql, UUID owner, UUID conversation, UUID id) {
    return sql.selectFrom(CHAT_MESSAGES)
        .where(CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.CONVERSATION_ID.eq(conversation))
            .and(CHAT_MESSAGES.ID.eq(id)))
        .forUpdate().fetchOptional().map(ChatRepository::stored);
  }

  Optional<StoredMessage> answerByRequest(DSLContext sql, UUID owner, UUID conversation, UUID requestId) {
    return sql.selectFrom(CHAT_MESSAGES)
        .where(CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.CONVERSATION_ID.eq(conversation))
            .and(CHAT_MESSAGES.REQUEST_ID.eq(requestId)))
        .fetchOptional().map(ChatRepository::stored);
  }

  /** Messages with seq > {@code afterSeq}, in seq order; only {@code ids} when given. */
  List<StoredMessage> messages(DSLContext sql, UUID owner, UUID conversation, long afterSeq,
      @Nullable List<UUID> ids, int limit) {
    var where = CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.CONVERSATION_ID.eq(conversation))
        .and(CHAT_MESSAGES.SEQ.gt(afterSeq));
    if (ids != null) {
      where = where.and(CHAT_MESSAGES.ID.in(ids));
    }
    return sql.selectFrom(CHAT_MESSAGES).where(where).orderBy(CHAT_MESSAGES.SEQ).limit(limit).fetch()
        .map(ChatRepository::stored);
  }

  List<Link> links(DSLContext sql, UUID owner, UUID conversation) {
    return sql.select(CHAT_MESSAGES.ID, CHAT_MESSAGES.SEQ, CHAT_MESSAGES.PARENT_ID, CHAT_MESSAGES.ROLE)
        .from(CHAT_MESSAGES)
        .where(CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.CONVERSATION_ID.eq(conversation)))
        .orderBy(CHAT_MESSAGES.SEQ)
        .fetch(r -> new Link(r.value1(), r.value2(), r.value3(), Chat.Role.valueOf(r.value4())));
  }

  /** Stores an answer's citations and notifies its followers, in one statement. */
  void storeCitations(DSLContext sql, UUID owner, UUID id, byte[] citations) {
    sql.update(CHAT_MESSAGES).set(CHAT_MESSAGES.CITATIONS, citations)
        .where(CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.ID.eq(id)))
        .returningResult(notifyField(ChatSignals.PROGRESS + id)).fetch();
  }

  /**
   * A checkpoint of a streaming answer, and the notification of it. Returns whether the answer
   * should go on: false when a cancel was requested or the answer (or its conversation) is gone.
   */
  boolean checkpoint(DSLContext sql, UUID owner, UUID id, byte[] ciphertext, int textLength, OffsetDateTime now) {
    Boolean cancel = sql.update(CHAT_MESSAGES)
        .set(CHAT_MESSAGES.CIPHERTEXT, ciphertext)
        .set(CHAT_MESSAGES.TEXT_LENGTH, textLength)
        .set(CHAT_MESSAGES.HEARTBEAT_AT, now)
        .where(CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.ID.eq(id)))
        .and(CHAT_MESSAGES.STATE.eq(Chat.State.STREAMING.name()))
        // followers are told in the same statement (only when the checkpoint was written)
        .returningResult(CHAT_MESSAGES.CANCEL_REQUESTED, notifyField(ChatSignals.PROGRESS + id))
        .fetchOptional(CHAT_MESSAGES.CANCEL_REQUESTED)
        .orElse(true);
    return !cancel;
  }

  /** Ends a streaming answer; false when it had already ended or is gone. */
  boolean finish(DSLContext sql, UUID owner, UUID id, Chat.State state, byte[] ciphertext, int textLength,
      Chat.Finish finish, Chat.Usage usage, @Nullable String errorCode, @Nullable String errorMessage,
      OffsetDateTime now) {
    return finishQuery(sql, owner, id, state, ciphertext, textLength, finish, usage, errorCode, errorMessage, now)
        .execute() == 1;
  }

  private static Query finishQuery(DSLContext sql, UUID owner, UUID id, Chat.State state, byte[] ciphertext,
      int textLength, Chat.Finish finish, Chat.Usage usage, @Nullable String errorCode, @Nullable String errorMessage,
      OffsetDateTime now) {
    return sql.update(CHAT_MESSAGES)
        .set(CHAT_MESSAGES.STATE, state.name())
        .set(CHAT_MESSAGES.CIPHERTEXT, ciphertext)
        .set(CHAT_MESSAGES.TEXT_LENGTH, textLength)
        .set(CHAT_MESSAGES.FINISH_REASON, finish.name())
        .set(CHAT_MESSAGES.PROMPT_TOKENS, usage.promptTokens())
        .set(CHAT_MESSAGES.COMPLETION_TOKENS, usage.completionTokens())
        .set(CHAT_MESSAGES.FIRST_TOKEN_MS, usage.firstToken() == null ? null : usage.firstToken().toMillis())
        .set(CHAT_MESSAGES.TOTAL_MS, usage.total() == null ? null : usage.total().toMillis())
        .set(CHAT_MESSAGES.ERROR_CODE, errorCode)
        .set(CHAT_MESSAGES.ERROR_MESSAGE, errorMessage)
        .set(CHAT_MESSAGES.HEARTBEAT_AT, now)
        .set(CHAT_MESSAGES.ENDED_AT, now)
        .where(CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.ID.eq(id)))
        .and(CHAT_MESSAGES.STATE.eq(Chat.State.STREAMING.name()));
  }

  /** Asks the generating replica to stop; false when the answer is not streaming. */
  boolean requestCancel(DSLContext sql, UUID owner, UUID id) {
    return sql.update(CHAT_MESSAGES).set(CHAT_MESSAGES.CANCEL_REQUESTED, true)
        .where(CHAT_MESSAGES.OWNER_ID.eq(owner).and(CHAT_MESSAGES.ID.eq(id)))
        .and(CHAT_MESSAGES.STATE.eq(Chat.State.STREAMING.name()))
        .execute() == 1;
  }

  /** Tells every replica's listener about {@code payload}, at commit. */
  void notify(DSLContext sql, String payload) {
    sql.select(notifyField(payload)).fetch();
  }

  private static Field<Object> notifyField(String payload) {
    return DSL.function("pg_notify", Object.class, DSL.val(CHANNEL), DSL.val(payload));
  }

  /**
   * NOTIFY as a statement that returns no rows, so it can go in a batch (a SELECT cannot). The
   * channel is a constant and the payload an inlined, quoted literal (NOTIFY takes no parameters).
   */
  private static Query notifyStatement(DSLContext sql, String payload) {
    return sql.query("notify " + CHANNEL + ", {0}", DSL.inline(payload));
  }

  private static StoredMessage stored(ChatMessagesRecord r) {
    return new StoredMessage(r.getId(), r.getConversationId(), r.getOwnerId(), r.getSeq(), Chat.Role.valueOf(r.getRole()),
        r.getParentId(), r.getRequestId(), Chat.State.valueOf(r.getState()), r.getCiphertext(), r.getTextLength(),
        r.getCitations(), r.getCancelRequested(), r.getFinishReason() == null ? null : Chat.Finish.valueOf(r.getFinishReason()),
        r.getPromptTokens(), r.getCompletionTokens(), r.getFirstTokenMs(), r.getTotalMs(), r.getErrorCode(),
        r.getErrorMessage(), r.getCreatedAt(), r.getHeartbeatAt(), r.getEndedAt());
  }
}
