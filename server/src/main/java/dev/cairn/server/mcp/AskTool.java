package dev.cairn.server.mcp;

import dev.cairn.chat.v1.Citation;
import dev.cairn.chat.v1.Conversation;
import dev.cairn.chat.v1.CreateConversationRequest;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.search.v1.SearchFilter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ask}: a grounded answer through the chat service (CreateConversation, then SendMessage,
 * its stream collected): retrieval runs with the caller's rights, every citation names the item
 * and the grant that allowed it, and the conversation stays in the user's chat history.
 */
final class AskTool implements CairnTool {
  private static final Duration DEADLINE = Duration.ofMinutes(3);
  private final CairnStubs stubs;
  private final int maxChars;

  AskTool(CairnStubs stubs, int maxChars) {
    this.stubs = stubs;
    this.maxChars = maxChars;
  }

  @Override
  public String name() {
    return "ask";
  }

  @Override
  public String description() {
    return "Ask a question about this user's documents and get an answer grounded in them, with citations "
        + "(item, display name, snippet). Pass the returned conversation to ask a follow-up in the same thread.";
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("question", ToolFields.string("The question (1..16000 characters)"));
    p.put("conversation", ToolFields.string("A conversation from an earlier ask, to follow up in it"));
    p.put("collections", ToolFields.strings("For a new conversation: retrieve only from these collections"));
    p.put("items", ToolFields.strings("For a new conversation: retrieve only from these items"));
    return p;
  }

  @Override
  public Set<String> required() {
    return Set.of("question");
  }

  @Override
  public String argumentFor(String rpcField) {
    return ToolFields.argument(rpcField, Map.of("text", "question", "parent", "conversation"));
  }

  @Override
  public Object call(McpCaller caller, ToolArgs args) {
    String question = args.requiredString("question");
    String conversation = args.string("conversation");
    List<String> collections = args.strings("collections");
    List<String> items = args.strings("items");
    var chat = stubs.chat(caller, name(), DEADLINE);
    if (conversation.isEmpty()) {
      var filter = SearchFilter.newBuilder()
          .addAllCollections(collections.stream().map(c -> ToolFields.name("collections", c)).toList())
          .addAllItems(items.stream().map(i -> ToolFields.name("items", i)).toList());
      String title = question.length() > 80 ? question.substring(0, 80) + "…" : question;
      conversation = chat.createConversation(CreateConversationRequest.newBuilder()
          .setConversation(Conversation.newBuilder().setDisplayName(title).setRetrievalFilter(filter)).build())
          .getConversation().getName();
    } else {
      conversation = ToolFields.name("conversations", conversation);
    }
    Iterator<SendMessageResponse> events =
        chat.sendMessage(SendMessageRequest.newBuilder().setParent(conversation).setText(question).build());
    return collect(conversation, events);
  }

  private Map<String, Object> collect(String conversation, Iterator<SendMessageResponse> events) {
    StringBuilder answer = new StringBuilder();
    List<Map<String, Object>> citations = new ArrayList<>();
    String message = "";
    String finish = "";
    while (events.hasNext()) {
      SendMessageResponse event = events.next();
      switch (event.getEventCase()) {
        case STARTED -> message = event.getStarted().getMessage().getName();
        case RETRIEVAL -> event.getRetrieval().getCitationsList().forEach(c -> citations.add(citation(c)));
        case DELTA -> answer.append(event.getDelta().getText());
        case COMPLETED -> finish = SearchTool.lower(event.getCompleted().getFinishReason().name(), "FINISH_REASON_");
        default -> { }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    boolean truncated = answer.length() > maxChars;
    out.put("answer", truncated ? answer.substring(0, maxChars) : answer.toString());
    if (truncated) {
      out.put("truncated", true);
    }
    out.put("citations", citations);
    out.put("finish_reason", finish);
    out.put("conversation", conversation);
    out.put("message", message);
    return out;
  }

  private static Map<String, Object> citation(Citation c) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("item", c.getItem());
    out.put("display_name", c.getDisplayName());
    out.put("version", c.getVersion());
    out.put("snippet", c.getSnippet());
    if (c.getPage() > 0) {
      out.put("page", c.getPage());
    }
    if (!c.getGrant().isEmpty()) {
      out.put("grant", c.getGrant());
    }
    return out;
  }
}
