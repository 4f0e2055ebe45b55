package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.chat.v1.CancelMessageRequest;
import dev.cairn.chat.v1.CancelMessageResponse;
import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.CreateConversationRequest;
import dev.cairn.chat.v1.CreateConversationResponse;
import dev.cairn.chat.v1.DeleteConversationRequest;
import dev.cairn.chat.v1.DeleteConversationResponse;
import dev.cairn.chat.v1.GetConversationRequest;
import dev.cairn.chat.v1.GetConversationResponse;
import dev.cairn.chat.v1.ListConversationsRequest;
import dev.cairn.chat.v1.ListConversationsResponse;
import dev.cairn.chat.v1.ListMessagesRequest;
import dev.cairn.chat.v1.ListMessagesResponse;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.chat.v1.StreamMessageRequest;
import dev.cairn.chat.v1.StreamMessageResponse;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.grpc.CallContext;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** {@code cairn.chat.v1.ChatService}: proto in, {@link ChatService} / {@link Answers}, proto out. */
final class ChatGrpcService extends ChatServiceGrpc.ChatServiceImplBase {
  private final ChatService chats;
  private final Answers answers;

  ChatGrpcService(ChatService chats, Answers answers) {
    this.chats = requireNonNull(chats, "chats");
    this.answers = requireNonNull(answers, "answers");
  }

  @Override
  public void createConversation(CreateConversationRequest request, StreamObserver<CreateConversationResponse> response) {
    var c = request.getConversation();
    var created = chats.create(CallContext.caller(), c.getDisplayName(), ChatRpc.filter(c.getRetrievalFilter()),
        ResourceNames.requestId(request.getRequestId()));
    response.onNext(CreateConversationResponse.newBuilder().setConversation(ChatRpc.toProto(created)).build());
    response.onCompleted();
  }

  @Override
  public void getConversation(GetConversationRequest request, StreamObserver<GetConversationResponse> response) {
    var c = chats.get(CallContext.caller(), ResourceNames.idOf(request.getName()));
    response.onNext(GetConversationResponse.newBuilder().setConversation(ChatRpc.toProto(c)).build());
    response.onCompleted();
  }

  @Override
  public void listConversations(ListConversationsRequest request, StreamObserver<ListConversationsResponse> response) {
    var page = chats.list(CallContext.caller(), request.getPageSize(), request.getPageToken());
    var out = ListConversationsResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.rows().forEach(c -> out.addConversations(ChatRpc.toProto(c)));
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void deleteConversation(DeleteConversationRequest request, StreamObserver<DeleteConversationResponse> response) {
    chats.delete(CallContext.caller(), ResourceNames.idOf(request.getName()), request.getEtag());
    response.onNext(DeleteConversationResponse.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void sendMessage(SendMessageRequest request, StreamObserver<SendMessageResponse> response) {
    // the time to first token counts from the call reaching the server: authentication and validation included
    long received = CallContext.startedNanos();
    Caller caller = CallContext.caller();
    UUID conversation = ResourceNames.idOf(request.getParent());
    var send = new Chat.Send(conversation, request.getText(), ResourceNames.requestId(request.getRequestId()),
        ChatRpc.MessageName.inConversation("follows", request.getFollows(), conversation), request.getFromStart(),
        ChatRpc.MessageName.inConversation("regenerate", request.getRegenerate(), conversation));
    var sender = new StreamSender<>((ServerCallStreamObserver<SendMessageResponse>) response);
    sender.streamInBackground("cairn-send", () -> answers.send(caller, send, request.getDetach(),
        sink(e -> sender.send(send(e))), sender, received));
  }

  @Override
  public void streamMessage(StreamMessageRequest request, StreamObserver<StreamMessageResponse> response) {
    Caller caller = CallContext.caller();
    var name = ChatRpc.MessageName.parse(request.getName());
    var sender = new StreamSender<>((ServerCallStreamObserver<StreamMessageResponse>) response);
    sender.streamInBackground("cairn-stream", () -> answers.stream(caller, name.conversation(), name.message(),
        request.getFromOffset(), sink(e -> sender.send(stream(e))), sender));
  }

  @Override
  public void cancelMessage(CancelMessageRequest request, StreamObserver<CancelMessageResponse> response) {
    var name = ChatRpc.MessageName.parse(request.getName());
    var m = chats.cancel(CallContext.caller(), name.conversation(), name.message());
    response.onNext(CancelMessageResponse.newBuilder().setMessage(ChatRpc.toProto(m)).build());
    response.onCompleted();
  }

  @Override
  public void listMessages(ListMessagesRequest request, StreamObserver<ListMessagesResponse> response) {
    UUID conversation = ResourceNames.idOf(request.getParent());
    UUID branch = ChatRpc.MessageName.inConversation("branch", request.getBranch(), conversation);
    var page = chats.messages(CallContext.caller(), conversation, branch, request.getPageSize(), request.getPageToken());
    var out = ListMessagesResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.rows().forEach(m -> out.addMessages(ChatRpc.toProto(m)));
    response.onNext(out.build());
    response.onCompleted();
  }

  /** One event of an answer stream, before it becomes a Send- or StreamMessageResponse. */
  private record Event(dev.cairn.chat.v1.@Nullable StartedEvent started, dev.cairn.chat.v1.@Nullable RetrievalEvent retrieval,
      dev.cairn.chat.v1.@Nullable DeltaEvent delta, dev.cairn.chat.v1.@Nullable CompletedEvent completed) {}

  private static Chat.AnswerSink sink(Consumer<Event> out) {
    return new Chat.AnswerSink() {
      @Override
      public void started(Chat.@Nullable Message user, Chat.Message answer) {
        out.accept(new Event(ChatRpc.started(user, answer), null, null, null));
      }

      @Override
      public void retrieval(List<Chat.Citation> citations) {
        out.accept(new Event(null, ChatRpc.retrieval(citations), null, null));
      }

      @Override
      public void delta(String text, long offset) {
        out.accept(new Event(null, null, ChatRpc.delta(text, offset), null));
      }

      @Override
      public void completed(Chat.Usage usage, Chat.Finish finish, long textLength) {
        out.accept(new Event(null, null, null, ChatRpc.completed(usage, finish, textLength)));
      }
    };
  }

  private static SendMessageResponse send(Event e) {
    var b = SendMessageResponse.newBuilder();
    if (e.started() != null) {
      b.setStarted(e.started());
    } else if (e.retrieval() != null) {
      b.setRetrieval(e.retrieval());
    } else if (e.delta() != null) {
      b.setDelta(e.delta());
    } else if (e.completed() != null) {
      b.setCompleted(e.completed());
    }
    return b.build();
  }

  private static StreamMessageResponse stream(Event e) {
    var b = StreamMessageResponse.newBuilder();
    if (e.started() != null) {
      b.setStarted(e.started());
    } else if (e.retrieval() != null) {
      b.setRetrieval(e.retrieval());
    } else if (e.delta() != null) {
      b.setDelta(e.delta());
    } else if (e.completed() != null) {
      b.setCompleted(e.completed());
    }
    return b.build();
  }
}
