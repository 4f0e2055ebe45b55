package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Now;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PagePosition;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.search.Search;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Conversations (create, get, list, delete), their messages (list, by branch) and
 * cancellation. Only the owner reaches a conversation: anyone else gets NOT_FOUND, exactly as
 * for one that does not exist. Sending and streaming answers is {@link Answers}'.
 */
public final class ChatService {
  /** How long CancelMessage waits for the generating replica to write the CANCELLED state. */
  private static final Duration CANCEL_WAIT = Duration.ofSeconds(3);

  private final Database database;
  private final ChatRepository repository;
  private final MessageStore messages;
  private final ChatSignals signals;
  private final PageTokens pageTokens;
  private final Clock clock;
  private final Supplier<UUID> ids;
  private final ChatMetrics metrics;

  ChatService(Database database, ChatRepository repository, MessageStore messages, ChatSignals signals,
      PageTokens pageTokens, Clock clock, Supplier<UUID> ids, ChatMetrics metrics) {
    this.database = requireNonNull(database, "database");
    this.repository = requireNonNull(repository, "repository");
    this.messages = requireNonNull(messages, "messages");
    this.signals = requireNonNull(signals, "signals");
    this.pageTokens = requireNonNull(pageTokens, "pageTokens");
    this.clock = requireNonNull(clock, "clock");
    this.ids = requireNonNull(ids, "ids");
    this.metrics = requireNonNull(metrics, "metrics");
  }

  public Chat.Conversation create(Caller caller, String displayName, Search.Filter filter, @Nullable UUID requestId) {
    UUID me = caller.requireUserId();
    return database.transaction(caller, sql -> {
      UUID id = ids.get();
      repository.insertConversation(sql, me, id, requestId, displayName, Jsonb.of(ChatCodec.filter(filter)), now());
      return requestId == null
          ? repository.conversation(sql, me, id).orElseThrow()
          : repository.conversationByRequest(sql, me, requestId).orElseThrow();
    });
  }

  public Chat.Conversation get(Caller caller, UUID id) {
    UUID me = caller.requireUserId();
    return database.transaction(caller, sql -> repository.conversation(sql, me, id)
        .orElseThrow(() -> notFound(id)));
  }

  public PageTokens.Page<Chat.Conversation> list(Caller caller, int pageSize, String pageToken) {
    UUID me = caller.requireUserId();
    PageBinding binding = PageBinding.of(caller.principal(), "ListConversations");
    After after = pageTokens.decode(pageToken, binding, After::read);
    int size = PageTokens.pageSize(pageSize, 50, 1000);
    List<Chat.Conversation> rows = database.transaction(caller, sql -> repository.conversations(sql, me,
        after == null ? null : after.time(), after == null ? null : after.id(), size + 1));
    return pageTokens.page(rows, size, binding, c -> new After(c.updateTime(), c.id()));
  }

  /** Deletes a conversation and its messages; an answer in progress is told to stop. */
  public void delete(Caller caller, UUID id, String etag) {
    UUID me = caller.requireUserId();
    UUID streaming = database.transaction(caller, sql -> {
      var row = repository.lockConversation(sql, me, id).orElseThrow(() -> notFound(id));
      if (!etag.isEmpty() && !etag.equals(row.conversation().etag())) {
        throw CairnException.etagMismatch("conversations/" + id);
      }
      UUID answering = row.streamingMessage();
      if (answering != null) {
        repository.notify(sql, ChatSignals.CANCEL + answering);
      }
      repository.deleteConversation(sql, me, id);
      return answering;
    });
    if (streaming != null) {
      AnswerRun run = signals.local(streaming);
      if (run != null) {
        run.cancel();
      }
    }
  }

  /**
   * Stops an answer being generated, on whichever replica generates it (a DB flag and a
   * notification), and waits briefly for its final state. An ended answer is returned as it is.
   */
  public Chat.Message cancel(Caller caller, UUID conversation, UUID message) {
    UUID me = caller.requireUserId();
    boolean asked = database.transaction(caller, sql -> {
      var m = repository.lockMessage(sql, me, conversation, message).orElseThrow(() -> notFound(conversation, message));
      requireAnswer(m.role(), conversation, message);
      if (m.state() == Chat.State.STREAMING && repository.requestCancel(sql, me, message)) {
        repository.notify(sql, ChatSignals.CANCEL + message);
        return true;
      }
      return false;
    });
    if (asked) {
      metrics.cancelled("cancel_message");
      AnswerRun run = signals.local(message);
      if (run != null) {
        run.cancel();
      }
    }
    return awaitEnd(caller, conversation, message, System.nanoTime() + CANCEL_WAIT.toNanos());
  }

  private Chat.Message awaitEnd(Caller caller, UUID conversation, UUID message, long deadline) {
    while (true) {
      long seen = signals.seen();
      Chat.Message m = read(caller, conversation, message);
      if (m.ended() || System.nanoTime() > deadline) {
        return m;
      }
      try {
        signals.awaitAfter(seen, Duration.ofMillis(200));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return m;
      }
    }
  }

  /** An answer (NOT_FOUND for anything the caller does not own; INVALID_ARGUMENT for a user message). */
  Chat.Message read(Caller caller, UUID conversation, UUID message) {
    UUID me = caller.requireUserId();
    return database.transaction(caller, sql -> {
      var m = repository.message(sql, me, conversation, message).orElseThrow(() -> notFound(conversation, message));
      return messages.decrypt(sql, m);
    });
  }

  /**
   * A conversation's messages in seq order; with {@code branchLeaf}, only the path from the
   * start of the conversation to that message.
   */
  public PageTokens.Page<Chat.Message> messages(Caller caller, UUID conversation, @Nullable UUID branchLeaf,
      int pageSize, String pageToken) {
    UUID me = caller.requireUserId();
    PageBinding binding = PageBinding.of(caller.principal(), "ListMessages").with("parent", conversation)
        .with("branch", branchLeaf);
    Long after = pageTokens.decode(pageToken, binding, PagePosition.Reader::getLong);
    int size = PageTokens.pageSize(pageSize, 50, 1000);
    List<Chat.Message> rows = database.transaction(caller, sql -> {
      repository.conversation(sql, me, conversation).orElseThrow(() -> notFound(conversation));
      List<UUID> path = branchLeaf == null ? null : path(sql, me, conversation, branchLeaf);
      List<Chat.Message> out = new ArrayList<>();
      for (var m : repository.messages(sql, me, conversation, after == null ? 0 : after, path, size + 1)) {
        out.add(messages.decrypt(sql, m));
      }
      return out;
    });
    return pageTokens.page(rows, size, binding, m -> out -> out.putLong(m.seq()));
  }

  /** The ids from the start of the conversation to {@code leaf}, following parent links. */
  List<UUID> path(DSLContext sql, UUID owner, UUID conversation, UUID leaf) {
    return path(repository.links(sql, owner, conversation), conversation, leaf);
  }

  /** The same, from links already read. */
  static List<UUID> path(List<ChatRepository.Link> links, UUID conversation, UUID leaf) {
    Map<UUID, ChatRepository.Link> byId = new HashMap<>();
    links.forEach(l -> byId.put(l.id(), l));
    if (!byId.containsKey(leaf)) {
      throw CairnException.invalidField("branch",
          "conversations/" + conversation + "/messages/" + leaf + " is not a message of this conversation");
    }
    List<UUID> path = new ArrayList<>();
    Set<UUID> seen = new HashSet<>();
    for (UUID at = leaf; at != null && seen.add(at); ) {
      path.addFirst(at);
      ChatRepository.Link link = byId.get(at);
      at = link == null ? null : link.parentId();
    }
    return path;
  }

  static void requireAnswer(Chat.Role role, UUID conversation, UUID message) {
    if (role != Chat.Role.ASSISTANT) {
      throw CairnException.invalidField("name", "conversations/" + conversation + "/messages/" + message
          + " is a user message (expected: an assistant answer)");
    }
  }

  static CairnException notFound(UUID conversation) {
    return CairnException.notFound("conversations/" + conversation);
  }

  static CairnException notFound(UUID conversation, UUID message) {
    return CairnException.notFound("conversations/" + conversation + "/messages/" + message);
  }

  private OffsetDateTime now() {
    return Now.of(clock);
  }

  /** A ListConversations page's end. */
  private record After(OffsetDateTime time, UUID id) implements PagePosition {
    @Override
    public void writeTo(Writer out) {
      out.putTime(time).putUuid(id);
    }

    static After read(Reader in) {
      return new After(in.getTime(), in.getUuid());
    }
  }
}
