package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.search.Search;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The domain records of chat: conversations, messages, citations, and what a send asks for. */
public final class Chat {
  private Chat() {}

  public enum Role { USER, ASSISTANT }

  public enum State { STREAMING, COMPLETED, CANCELLED, FAILED }

  /** Why an answer ended; ERROR for a FAILED one. */
  public enum Finish { STOP, LENGTH, CANCELLED, NO_SOURCES, ERROR }

  public record Conversation(UUID id, UUID ownerId, String displayName, Search.Filter filter, long messageCount,
      OffsetDateTime createTime, OffsetDateTime updateTime, long revision) {
    public String etag() {
      return "r" + revision;
    }
  }

  /**
   * A passage an answer draws on.
   *
   * @param grantId the grant that allowed reading it; null for the caller's own items
   * @param page 1-based page for sources with pages, 0 otherwise
   */
  public record Citation(UUID itemId, int version, int chunk, @Nullable UUID grantId, String displayName,
      String snippet, double score, int page) {}

  /** Tokens and timings of an answer; durations null until known. */
  public record Usage(int promptTokens, int completionTokens, @Nullable Duration firstToken, @Nullable Duration total) {
    public static final Usage NONE = new Usage(0, 0, null, null);
  }

  /**
   * One message.
   *
   * @param citations null until retrieval has run (always null for user messages)
   * @param parentId the message it follows in its branch (for an answer: the user message)
   */
  public record Message(UUID id, UUID conversationId, long seq, Role role, String text, State state,
      @Nullable List<Citation> citations, Usage usage, @Nullable Finish finish, @Nullable String errorCode,
      @Nullable String errorMessage, @Nullable UUID parentId, OffsetDateTime createTime,
      @Nullable OffsetDateTime endTime) {
    public int length() {
      return text.codePointCount(0, text.length());
    }

    public boolean ended() {
      return state != State.STREAMING;
    }
  }

  /**
   * What a SendMessage asks for: a new user message (after {@code follows}, at the start, or after
   * the latest message) or a {@code regenerate}d answer to an existing user message.
   */
  public record Send(UUID conversationId, String text, @Nullable UUID requestId, @Nullable UUID follows,
      boolean fromStart, @Nullable UUID regenerate) {
    public Send {
      requireNonNull(conversationId, "conversationId");
      requireNonNull(text, "text");
    }
  }

  /** Where an answer stream goes: the gRPC edge turns these into events (and waits for flow control). */
  public interface AnswerSink {
    /** {@code user} is null when resuming (StreamMessage). */
    void started(@Nullable Message user, Message answer);

    void retrieval(List<Citation> citations);

    void delta(String text, long offset);

    void completed(Usage usage, Finish finish, long textLength);
  }
}
