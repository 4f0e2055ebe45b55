package dev.cairn.tools.eval;

import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.Citation;
import dev.cairn.chat.v1.Conversation;
import dev.cairn.chat.v1.CreateConversationRequest;
import dev.cairn.chat.v1.FinishReason;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One SendMessage as the chat tools see it: when each event arrived (client clock, from the call's
 * start), how many deltas, the citations and the finish reason. Shared by the chat benchmark and
 * the SciFact citation evaluation.
 */
final class ChatCalls {
  /**
   * A finished send. Times are nanoseconds from just before the call started; -1 when the event
   * never came. {@code events} is kept only when asked for (the benchmark records one answer for
   * its baseline to replay).
   */
  record Answer(long started, long retrieval, long firstDelta, long completed, int deltas, long textLength,
      List<Citation> citations, FinishReason finish, String text, long serverFirstTokenNanos,
      List<SendMessageResponse> events) {
    String firstCitedItem() {
      return citations.isEmpty() ? "" : citations.getFirst().getItem();
    }

    /** The item of the first {@code [n]} marker in the text (the source the answer quotes first), or empty. */
    String firstQuotedItem() {
      var m = MARKER.matcher(text);
      while (m.find()) {
        int n = Integer.parseInt(m.group(1));
        if (n >= 1 && n <= citations.size()) {
          return citations.get(n - 1).getItem();
        }
      }
      return "";
    }
  }

  private static final java.util.regex.Pattern MARKER = java.util.regex.Pattern.compile("\\[(\\d{1,3})]");

  private ChatCalls() {}

  static String newConversation(ChatServiceGrpc.ChatServiceBlockingStub chat, String title) {
    return chat.withDeadlineAfter(30, TimeUnit.SECONDS).createConversation(CreateConversationRequest.newBuilder()
        .setConversation(Conversation.newBuilder().setDisplayName(title)).build()).getConversation().getName();
  }

  /** Sends {@code text} into {@code conversation} and reads the stream to its end. */
  static Answer send(ChatServiceGrpc.ChatServiceBlockingStub chat, String conversation, String text, boolean keepEvents) {
    List<SendMessageResponse> events = keepEvents ? new ArrayList<>() : List.of();
    long t0 = System.nanoTime();
    long started = -1;
    long retrieval = -1;
    long firstDelta = -1;
    long completed = -1;
    int deltas = 0;
    long length = 0;
    long serverTtft = -1;
    List<Citation> citations = List.of();
    FinishReason finish = FinishReason.FINISH_REASON_UNSPECIFIED;
    StringBuilder answer = new StringBuilder();
    Iterator<SendMessageResponse> stream = chat.withDeadlineAfter(120, TimeUnit.SECONDS)
        .sendMessage(SendMessageRequest.newBuilder().setParent(conversation).setText(text).build());
    while (stream.hasNext()) {
      SendMessageResponse e = stream.next();
      long at = System.nanoTime() - t0;
      if (keepEvents) {
        events.add(e);
      }
      switch (e.getEventCase()) {
        case STARTED -> started = at;
        case RETRIEVAL -> {
          retrieval = at;
          citations = e.getRetrieval().getCitationsList();
        }
        case DELTA -> {
          if (firstDelta < 0) {
            firstDelta = at;
          }
          deltas++;
          answer.append(e.getDelta().getText());
        }
        case COMPLETED -> {
          completed = at;
          finish = e.getCompleted().getFinishReason();
          length = e.getCompleted().getTextLength();
          var ttft = e.getCompleted().getUsage().getTimeToFirstToken();
          if (e.getCompleted().getUsage().hasTimeToFirstToken()) {
            serverTtft = TimeUnit.SECONDS.toNanos(ttft.getSeconds()) + ttft.getNanos();
          }
        }
        case EVENT_NOT_SET -> { }
      }
    }
    return new Answer(started, retrieval, firstDelta, completed, deltas, length, citations, finish, answer.toString(),
        serverTtft, events);
  }
}
