package dev.cairn.server.chat;

import com.google.protobuf.Duration;
import dev.cairn.chat.v1.Citation;
import dev.cairn.chat.v1.CompletedEvent;
import dev.cairn.chat.v1.Conversation;
import dev.cairn.chat.v1.DeltaEvent;
import dev.cairn.chat.v1.FinishReason;
import dev.cairn.chat.v1.Message;
import dev.cairn.chat.v1.RetrievalEvent;
import dev.cairn.chat.v1.StartedEvent;
import dev.cairn.chat.v1.Usage;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.grpc.ProtoTime;
import dev.cairn.server.search.Search;
import io.grpc.Status;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** Chat's proto ⇄ domain mapping, for {@link ChatGrpcService}. */
final class ChatRpc {
  /** Matches no item: a filter naming only malformed ids finds nothing (not everything). */
  private static final UUID NONE = new UUID(0, 0);

  private ChatRpc() {}

  /** A message's two ids, from {@code conversations/{c}/messages/{m}} (protovalidate checked the shape). */
  record MessageName(UUID conversation, UUID message) {
    static MessageName parse(String name) {
      String[] parts = name.split("/");
      UUID c = ResourceNames.uuid(parts[1]).orElse(null);
      UUID m = ResourceNames.uuid(parts[3]).orElse(null);
      if (c == null || m == null) {
        throw CairnException.notFound(name);
      }
      return new MessageName(c, m);
    }

    /** A field naming a message of {@code conversation}; INVALID_ARGUMENT when it names another conversation's. */
    static @Nullable UUID inConversation(String field, String name, UUID conversation) {
      if (name.isEmpty()) {
        return null;
      }
      MessageName n = parse(name);
      if (!n.conversation().equals(conversation)) {
        throw CairnException.invalidField(field, name + " is not a message of conversations/" + conversation
            + " (expected: a message of the conversation sent to)");
      }
      return n.message();
    }
  }

  static String name(Chat.Message m) {
    return name(m.conversationId(), m.id());
  }

  static String name(UUID conversation, UUID message) {
    return "conversations/" + conversation + "/messages/" + message;
  }

  static Search.Filter filter(dev.cairn.search.v1.SearchFilter f) {
    return new Search.Filter(ids(f.getItemsList()), ids(f.getCollectionsList()), f.getLabelsMap(),
        f.getMediaTypesList(), f.hasStartTime() ? ProtoTime.offsetDateTime(f.getStartTime()) : null,
        f.hasEndTime() ? ProtoTime.offsetDateTime(f.getEndTime()) : null, f.getOwnedOnly());
  }

  private static Set<UUID> ids(List<String> names) {
    Set<UUID> ids = new LinkedHashSet<>();
    for (String name : names) {
      ids.add(ResourceNames.uuid(name.substring(name.indexOf('/') + 1)).orElse(NONE));
    }
    return ids;
  }

  static dev.cairn.search.v1.SearchFilter filter(Search.Filter f) {
    var b = dev.cairn.search.v1.SearchFilter.newBuilder()
        .putAllLabels(f.labels()).addAllMediaTypes(f.mediaTypes()).setOwnedOnly(f.ownedOnly());
    f.items().stream().map(UUID::toString).sorted().forEach(id -> b.addItems("items/" + id));
    f.collections().stream().map(UUID::toString).sorted().forEach(id -> b.addCollections("collections/" + id));
    if (f.start() != null) {
      b.setStartTime(ProtoTime.timestamp(f.start()));
    }
    if (f.end() != null) {
      b.setEndTime(ProtoTime.timestamp(f.end()));
    }
    return b.build();
  }

  static Conversation toProto(Chat.Conversation c) {
    var b = Conversation.newBuilder()
        .setName("conversations/" + c.id())
        .setOwner("users/" + c.ownerId())
        .setDisplayName(c.displayName())
        .setMessageCount(c.messageCount())
        .setCreateTime(ProtoTime.timestamp(c.createTime()))
        .setUpdateTime(ProtoTime.timestamp(c.updateTime()))
        .setEtag(c.etag());
    if (!c.filter().equals(Search.Filter.NONE)) {
      b.setRetrievalFilter(filter(c.filter()));
    }
    return b.build();
  }

  static Message toProto(Chat.Message m) {
    var b = Message.newBuilder()
        .setName(name(m))
        .setSeq(m.seq())
        .setRole(m.role() == Chat.Role.USER ? Message.Role.ROLE_USER : Message.Role.ROLE_ASSISTANT)
        .setText(m.text())
        .setState(switch (m.state()) {
          case STREAMING -> Message.State.STATE_STREAMING;
          case COMPLETED -> Message.State.STATE_COMPLETED;
          case CANCELLED -> Message.State.STATE_CANCELLED;
          case FAILED -> Message.State.STATE_FAILED;
        })
        .setCreateTime(ProtoTime.timestamp(m.createTime()));
    if (m.citations() != null) {
      m.citations().forEach(c -> b.addCitations(toProto(c)));
    }
    if (m.parentId() != null) {
      b.setParent(name(m.conversationId(), m.parentId()));
      if (m.role() == Chat.Role.ASSISTANT) {
        b.setReplyTo(name(m.conversationId(), m.parentId()));
      }
    }
    if (m.role() == Chat.Role.ASSISTANT && m.ended()) {
      b.setUsage(toProto(m.usage()));
    }
    if (m.finish() != null) {
      b.setFinishReason(toProto(m.finish()));
    }
    if (m.errorCode() != null) {
      b.setError(com.google.rpc.Status.newBuilder()
          .setCode(Status.Code.valueOf(m.errorCode()).value())
          .setMessage(m.errorMessage() == null ? "" : m.errorMessage()));
    }
    if (m.endTime() != null) {
      b.setEndTime(ProtoTime.timestamp(m.endTime()));
    }
    return b.build();
  }

  static Citation toProto(Chat.Citation c) {
    var b = Citation.newBuilder()
        .setItem("items/" + c.itemId())
        .setVersion(c.version())
        .setChunkId(Integer.toString(c.chunk()))
        .setDisplayName(c.displayName())
        .setSnippet(c.snippet())
        .setScore(c.score())
        .setPage(c.page());
    if (c.grantId() != null) {
      b.setGrant("grants/" + c.grantId());
    }
    return b.build();
  }

  static Usage toProto(Chat.Usage u) {
    var b = Usage.newBuilder().setPromptTokens(u.promptTokens()).setCompletionTokens(u.completionTokens());
    if (u.firstToken() != null) {
      b.setTimeToFirstToken(duration(u.firstToken()));
    }
    if (u.total() != null) {
      b.setTotalDuration(duration(u.total()));
    }
    return b.build();
  }

  static FinishReason toProto(Chat.Finish f) {
    return switch (f) {
      case STOP -> FinishReason.FINISH_REASON_STOP;
      case LENGTH -> FinishReason.FINISH_REASON_LENGTH;
      case CANCELLED -> FinishReason.FINISH_REASON_CANCELLED;
      case NO_SOURCES -> FinishReason.FINISH_REASON_NO_SOURCES;
      case ERROR -> FinishReason.FINISH_REASON_ERROR;
    };
  }

  static StartedEvent started(Chat.@Nullable Message user, Chat.Message answer) {
    var b = StartedEvent.newBuilder().setMessage(toProto(answer));
    if (user != null) {
      b.setUserMessage(toProto(user));
    }
    return b.build();
  }

  static RetrievalEvent retrieval(List<Chat.Citation> citations) {
    var b = RetrievalEvent.newBuilder();
    citations.forEach(c -> b.addCitations(toProto(c)));
    return b.build();
  }

  static DeltaEvent delta(String text, long offset) {
    return DeltaEvent.newBuilder().setText(text).setOffset(offset).build();
  }

  static CompletedEvent completed(Chat.Usage usage, Chat.Finish finish, long length) {
    return CompletedEvent.newBuilder().setUsage(toProto(usage)).setFinishReason(toProto(finish)).setTextLength(length)
        .build();
  }

  private static Duration duration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
