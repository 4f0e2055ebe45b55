package dev.cairn.server.chat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cairn.server.search.Search;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The stored forms of a conversation's retrieval filter (JSON) and an answer's citations (JSON, then encrypted). */
final class ChatCodec {
  private ChatCodec() {}

  static JsonObject filter(Search.Filter f) {
    JsonObject o = new JsonObject();
    o.add("items", strings(f.items().stream().map(UUID::toString).sorted().toList()));
    o.add("collections", strings(f.collections().stream().map(UUID::toString).sorted().toList()));
    JsonObject labels = new JsonObject();
    f.labels().forEach(labels::addProperty);
    o.add("labels", labels);
    o.add("media_types", strings(f.mediaTypes()));
    if (f.start() != null) {
      o.addProperty("start", f.start().toString());
    }
    if (f.end() != null) {
      o.addProperty("end", f.end().toString());
    }
    o.addProperty("owned_only", f.ownedOnly());
    return o;
  }

  static Search.Filter filter(JsonObject o) {
    if (o.isEmpty()) {
      return Search.Filter.NONE;
    }
    Set<UUID> items = new LinkedHashSet<>();
    o.getAsJsonArray("items").forEach(e -> items.add(UUID.fromString(e.getAsString())));
    Set<UUID> collections = new LinkedHashSet<>();
    o.getAsJsonArray("collections").forEach(e -> collections.add(UUID.fromString(e.getAsString())));
    Map<String, String> labels = new LinkedHashMap<>();
    o.getAsJsonObject("labels").entrySet().forEach(e -> labels.put(e.getKey(), e.getValue().getAsString()));
    List<String> media = new ArrayList<>();
    o.getAsJsonArray("media_types").forEach(e -> media.add(e.getAsString()));
    return new Search.Filter(items, collections, labels, media, time(o.get("start")), time(o.get("end")),
        o.get("owned_only").getAsBoolean());
  }

  private static @Nullable OffsetDateTime time(@Nullable JsonElement e) {
    return e == null || e.isJsonNull() ? null : OffsetDateTime.parse(e.getAsString());
  }

  private static JsonArray strings(List<String> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }

  static byte[] citations(List<Chat.Citation> citations) {
    JsonArray a = new JsonArray();
    for (Chat.Citation c : citations) {
      JsonObject o = new JsonObject();
      o.addProperty("item", c.itemId().toString());
      o.addProperty("version", c.version());
      o.addProperty("chunk", c.chunk());
      if (c.grantId() != null) {
        o.addProperty("grant", c.grantId().toString());
      }
      o.addProperty("display_name", c.displayName());
      o.addProperty("snippet", c.snippet());
      o.addProperty("score", c.score());
      o.addProperty("page", c.page());
      a.add(o);
    }
    return a.toString().getBytes(StandardCharsets.UTF_8);
  }

  static List<Chat.Citation> citations(byte[] json) {
    List<Chat.Citation> out = new ArrayList<>();
    for (JsonElement e : JsonParser.parseString(new String(json, StandardCharsets.UTF_8)).getAsJsonArray()) {
      JsonObject o = e.getAsJsonObject();
      out.add(new Chat.Citation(UUID.fromString(o.get("item").getAsString()), o.get("version").getAsInt(),
          o.get("chunk").getAsInt(), o.has("grant") ? UUID.fromString(o.get("grant").getAsString()) : null,
          o.get("display_name").getAsString(), o.get("snippet").getAsString(), o.get("score").getAsDouble(),
          o.get("page").getAsInt()));
    }
    return out;
  }
}
