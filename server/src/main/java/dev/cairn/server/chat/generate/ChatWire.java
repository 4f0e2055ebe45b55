package dev.cairn.server.chat.generate;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The JSON of OpenAI's {@code POST /v1/chat/completions} with {@code stream: true}: the request,
 * each streamed chunk, and error bodies.
 */
final class ChatWire {
  /** Each source's text is cut to this much in the prompt; retrieved chunks are far smaller. */
  static final int MAX_SOURCE_CHARS = 8_000;
  /** The most recent turns kept, and the characters of each: the rest of a long chat is noise. */
  static final int MAX_TURNS = 20;
  static final int MAX_TURN_CHARS = 8_000;
  static final int MAX_QUESTION_CHARS = 8_000;

  static final String INSTRUCTIONS = """
      You answer questions using only the numbered sources below, which come from the user's own \
      documents. Cite the source of every statement with its number in square brackets, like [1] \
      or [2][3], right after the statement. If the sources do not contain the answer, say that \
      you could not find it in the documents; never answer from your own knowledge and never \
      invent a source number. Answer in the language of the question, concisely.""";

  private ChatWire() {}

  /** One parsed chunk: its text (maybe empty), finish reason and usage, or the error it carries. */
  record Chunk(String content, @Nullable String finishReason, @Nullable Usage usage, @Nullable String error) {}

  record Usage(int promptTokens, int completionTokens) {}

  static String request(OpenAiChatSettings settings, Prompt prompt) {
    JsonObject body = new JsonObject();
    body.addProperty("model", settings.model());
    body.add("messages", messages(prompt));
    body.addProperty("stream", true);
    if (settings.streamUsage()) {
      JsonObject options = new JsonObject();
      options.addProperty("include_usage", true);
      body.add("stream_options", options);
    }
    body.addProperty("max_tokens", settings.maxTokens());
    return body.toString();
  }

  private static JsonArray messages(Prompt prompt) {
    JsonArray messages = new JsonArray();
    messages.add(message("system", INSTRUCTIONS + "\n\n" + sources(prompt.sources())));
    List<Prompt.Turn> history = prompt.history();
    for (Prompt.Turn turn : history.subList(Math.max(0, history.size() - MAX_TURNS), history.size())) {
      String role = turn.role() == Prompt.Role.USER ? "user" : "assistant";
      messages.add(message(role, cut(turn.text(), MAX_TURN_CHARS)));
    }
    messages.add(message("user", cut(prompt.question(), MAX_QUESTION_CHARS)));
    return messages;
  }

  /** {@code [n] title (page p)} then the text, for each source, separated by blank lines. */
  static String sources(List<Prompt.Source> sources) {
    StringBuilder out = new StringBuilder("Sources:");
    for (Prompt.Source source : sources) {
      out.append("\n\n[").append(source.marker()).append("] ").append(oneLine(source.title()));
      if (source.page() > 0) {
        out.append(" (page ").append(source.page()).append(')');
      }
      out.append('\n').append(Sentences.clean(cut(source.text(), MAX_SOURCE_CHARS)).strip());
    }
    return out.toString();
  }

  private static JsonObject message(String role, String content) {
    JsonObject message = new JsonObject();
    message.addProperty("role", role);
    message.addProperty("content", content);
    return message;
  }

  private static String oneLine(String title) {
    return Sentences.clean(cut(title, 300)).replaceAll("\\s+", " ").strip();
  }

  private static String cut(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    return text.substring(0, end);
  }

  /**
   * Parses one event's data. Tolerates what compatible servers vary in: no {@code choices} (the
   * usage-only last chunk), a {@code null} content, a role-only first delta.
   *
   * @throws IllegalArgumentException if the data is not a JSON object
   */
  static Chunk chunk(String data) {
    JsonElement parsed = JsonParser.parseString(data);
    if (!parsed.isJsonObject()) {
      throw new IllegalArgumentException("an event that is not a JSON object");
    }
    JsonObject object = parsed.getAsJsonObject();
    if (object.has("error") && !object.get("error").isJsonNull()) {
      return new Chunk("", null, null, errorText(object.get("error")));
    }
    String content = "";
    String finish = null;
    JsonArray choices = array(object, "choices");
    if (choices != null && !choices.isEmpty() && choices.get(0).isJsonObject()) {
      JsonObject choice = choices.get(0).getAsJsonObject();
      JsonObject delta = choice.has("delta") && choice.get("delta").isJsonObject()
          ? choice.getAsJsonObject("delta") : null;
      content = delta == null ? "" : string(delta, "content");
      finish = string(choice, "finish_reason");
      finish = finish.isEmpty() ? null : finish;
    }
    return new Chunk(content, finish, usage(object), null);
  }

  private static @Nullable Usage usage(JsonObject object) {
    if (!object.has("usage") || !object.get("usage").isJsonObject()) {
      return null;
    }
    JsonObject usage = object.getAsJsonObject("usage");
    try {
      return new Usage(usage.get("prompt_tokens").getAsInt(), usage.get("completion_tokens").getAsInt());
    } catch (RuntimeException e) {
      return null; // a server's partial usage: estimate instead
    }
  }

  /** The server's explanation from an error body ({@code {"error": {...}}}), cut short, or "". */
  static String errorMessage(String body) {
    try {
      JsonObject object = JsonParser.parseString(body).getAsJsonObject();
      return object.has("error") ? errorText(object.get("error")) : "";
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static String errorText(JsonElement error) {
    String message;
    if (error.isJsonObject()) {
      message = string(error.getAsJsonObject(), "message");
    } else if (error.isJsonPrimitive()) {
      message = error.getAsString(); // llama.cpp and some proxies send a bare string
    } else {
      message = "";
    }
    message = message.isEmpty() ? "no message" : message;
    return message.length() > 300 ? message.substring(0, 300) + "…" : message;
  }

  private static @Nullable JsonArray array(JsonObject object, String name) {
    JsonElement e = object.get(name);
    return e != null && e.isJsonArray() ? e.getAsJsonArray() : null;
  }

  private static String string(JsonObject object, String name) {
    JsonElement e = object.get(name);
    return e != null && e.isJsonPrimitive() ? e.getAsString() : "";
  }
}
