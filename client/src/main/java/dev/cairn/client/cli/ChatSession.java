package dev.cairn.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cairn.chat.v1.CancelMessageRequest;
import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.Citation;
import dev.cairn.chat.v1.CreateConversationRequest;
import dev.cairn.chat.v1.FinishReason;
import dev.cairn.chat.v1.GetConversationRequest;
import dev.cairn.chat.v1.ListMessagesRequest;
import dev.cairn.chat.v1.ListMessagesResponse;
import dev.cairn.chat.v1.Message;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.chat.v1.StreamMessageRequest;
import dev.cairn.chat.v1.StreamMessageResponse;
import dev.cairn.client.CairnError;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One {@code cairn chat} conversation: questions are sent, answers printed as they stream. Sends
 * are detached, so an answer outlives a dropped connection and {@code /resume} shows the rest of
 * it (StreamMessage from the offset already printed); stopping an answer is therefore a
 * CancelMessage, after which the stream ends with the text the server kept.
 */
final class ChatSession {
  private final ChatServiceGrpc.ChatServiceBlockingStub chat;
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean interactive;

  private String conversation = "";
  /** The user message the last answer replies to (what /regenerate answers again). */
  private @Nullable String lastQuestion;
  /** The last answer (what /resume continues) and how many code points of it were printed. */
  private volatile @Nullable String lastAnswer;
  private long shown;
  private List<Citation> citations = List.of();

  // the stream in progress, touched by the stdin and signal threads to stop it
  private final Object lock = new Object();
  private Context.@Nullable CancellableContext call;
  private boolean cancelRequested;
  private @Nullable String streaming;

  ChatSession(ChatServiceGrpc.ChatServiceBlockingStub chat, PrintWriter out, PrintWriter err, boolean interactive) {
    this.chat = chat;
    this.out = out;
    this.err = err;
    this.interactive = interactive;
  }

  /** Starts a conversation ({@code name} null) or continues one from its latest message. */
  void open(@Nullable String name) {
    if (name == null) {
      conversation = chat.createConversation(CreateConversationRequest.getDefaultInstance()).getConversation().getName();
      out.println("conversation: " + conversation);
    } else {
      var existing = chat.getConversation(GetConversationRequest.newBuilder().setName(name).build()).getConversation();
      conversation = existing.getName();
      Message latest = latest();
      if (latest != null && latest.getRole() == Message.Role.ROLE_ASSISTANT) {
        lastAnswer = latest.getName();
        lastQuestion = latest.getReplyTo();
      } else if (latest != null) {
        lastQuestion = latest.getName();
      }
      out.println("conversation: " + conversation + " (" + existing.getMessageCount() + " messages"
          + (existing.getDisplayName().isEmpty() ? "" : ", " + existing.getDisplayName()) + ")");
    }
    if (interactive) {
      out.println("Ask a question; /regenerate, /resume, /cancel or Ctrl-C to stop an answer, /quit.");
    }
    out.flush();
  }

  private @Nullable Message latest() {
    List<Message> all = new ArrayList<>();
    CommandGroup.allPages(
        token -> chat.listMessages(ListMessagesRequest.newBuilder().setParent(conversation).setPageSize(1000)
            .setPageToken(token).build()),
        page -> all.addAll(page.getMessagesList()),
        ListMessagesResponse::getNextPageToken);
    return all.isEmpty() ? null : all.getLast();
  }

  void run(ChatLines lines) throws InterruptedException {
    while (true) {
      if (interactive) {
        out.print("> ");
        out.flush();
      }
      String line = lines.next();
      if (line == null) {
        return;
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      if (!line.startsWith("/")) {
        send(SendMessageRequest.newBuilder().setParent(conversation).setText(line));
        continue;
      }
      switch (line.toLowerCase(Locale.ROOT)) {
        case "/quit", "/exit" -> {
          return;
        }
        case "/regenerate" -> {
          if (lastQuestion == null) {
            err.println("nothing to regenerate yet");
          } else {
            send(SendMessageRequest.newBuilder().setParent(conversation).setRegenerate(lastQuestion));
          }
        }
        case "/resume" -> resume();
        case "/help" -> out.println("/regenerate  /resume  /cancel (or Ctrl-C)  /quit");
        default -> err.println("unknown command " + line + " (expected: /regenerate, /resume, /cancel, /quit)");
      }
      err.flush();
    }
  }

  private void send(SendMessageRequest.Builder request) {
    stream(true, () -> chat.sendMessage(request.setDetach(true).build()));
  }

  private void resume() {
    String answer = lastAnswer;
    if (answer == null) {
      err.println("nothing to resume yet");
      return;
    }
    var request = StreamMessageRequest.newBuilder().setName(answer).setFromOffset(shown).build();
    stream(false, () -> {
      Iterator<StreamMessageResponse> events = chat.streamMessage(request);
      return new Iterator<SendMessageResponse>() {
        @Override
        public boolean hasNext() {
          return events.hasNext();
        }

        @Override
        public SendMessageResponse next() {
          return sameEvent(events.next());
        }
      };
    });
  }

  /** The two streams' events have the same fields and numbers: one printer serves both. */
  private static SendMessageResponse sameEvent(StreamMessageResponse event) {
    try {
      return SendMessageResponse.parseFrom(event.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private void stream(boolean fresh, java.util.function.Supplier<Iterator<SendMessageResponse>> start) {
    Context.CancellableContext context = Context.current().withCancellation();
    synchronized (lock) {
      call = context;
      cancelRequested = false;
      streaming = fresh ? null : lastAnswer;
    }
    FinishReason finish = null;
    try {
      Iterator<SendMessageResponse> events = context.call(start::get);
      while (events.hasNext()) {
        SendMessageResponse event = events.next();
        switch (event.getEventCase()) {
          case STARTED -> started(event.getStarted().getUserMessage(), event.getStarted().getMessage(), fresh);
          case RETRIEVAL -> citations = event.getRetrieval().getCitationsList();
          case DELTA -> print(event.getDelta().getText(), event.getDelta().getOffset());
          case COMPLETED -> finish = event.getCompleted().getFinishReason();
          case EVENT_NOT_SET -> { }
        }
      }
      out.println();
      if (finish != null && finish != FinishReason.FINISH_REASON_STOP) {
        out.println("[" + finish.name().substring("FINISH_REASON_".length()).toLowerCase(Locale.ROOT).replace('_', ' ') + "]");
      }
      printCitations();
    } catch (StatusRuntimeException e) {
      out.println();
      out.flush();
      err.println("error: " + CairnError.describe(e));
      if (lastAnswer != null && streaming != null) {
        err.println("the answer goes on on the server: /resume shows the rest");
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      synchronized (lock) {
        call = null;
        streaming = null;
      }
      context.cancel(null);
      out.flush();
      err.flush();
    }
  }

  private void started(Message question, Message answer, boolean fresh) {
    if (fresh) {
      lastQuestion = question.getName().isEmpty() ? answer.getReplyTo() : question.getName();
      shown = 0;
      citations = List.of();
    }
    lastAnswer = answer.getName();
    boolean cancelNow;
    synchronized (lock) {
      streaming = answer.getName();
      cancelNow = cancelRequested;
    }
    if (cancelNow) {
      cancelOnServer(answer.getName());
    }
  }

  /** Prints the part of a delta not shown yet (a resume may overlap what was printed). */
  private void print(String text, long offset) {
    long length = text.codePointCount(0, text.length());
    if (offset + length <= shown) {
      return;
    }
    int skip = (int) Math.max(0, shown - offset);
    out.print(text.substring(text.offsetByCodePoints(0, skip)));
    out.flush();
    shown = offset + length;
  }

  private void printCitations() {
    for (int i = 0; i < citations.size(); i++) {
      Citation c = citations.get(i);
      var line = new StringBuilder("[").append(i + 1).append("] ")
          .append(c.getDisplayName().isEmpty() ? "(untitled)" : c.getDisplayName())
          .append("  ").append(c.getItem()).append(" v").append(c.getVersion());
      if (c.getPage() > 0) {
        line.append("  page ").append(c.getPage());
      }
      if (!c.getGrant().isEmpty()) {
        line.append("  via ").append(c.getGrant());
      }
      out.println(line);
    }
  }

  /** {@code /cancel}: stops the answer streaming now, keeping what it wrote. From any thread. */
  void cancel() {
    String answer;
    synchronized (lock) {
      if (call == null) {
        err.println("no answer to cancel");
        err.flush();
        return;
      }
      cancelRequested = true;
      answer = streaming;
    }
    if (answer != null) {
      cancelOnServer(answer);
    } // else: cancelled as soon as the server names it (started)
  }

  /** Ctrl-C: stops the answer if one streams; otherwise says how to leave. */
  void interrupt() {
    boolean streamingNow;
    synchronized (lock) {
      streamingNow = call != null;
    }
    if (streamingNow) {
      cancel();
    } else {
      out.println();
      out.println("(no answer to stop: /quit or Ctrl-D to leave)");
      out.flush();
    }
  }

  /**
   * CancelMessage on its own virtual thread (a signal handler must return at once); the stream
   * then ends by itself with the kept text. Should the server be unreachable, the local call is
   * dropped instead, so the prompt comes back.
   */
  private void cancelOnServer(String answer) {
    Thread.ofVirtual().start(() -> {
      try {
        chat.cancelMessage(CancelMessageRequest.newBuilder().setName(answer).build());
      } catch (StatusRuntimeException e) {
        err.println("error: " + CairnError.describe(e));
        err.flush();
        Context.CancellableContext context;
        synchronized (lock) {
          context = call;
        }
        if (context != null) {
          context.cancel(e);
        }
      }
    });
  }
}
