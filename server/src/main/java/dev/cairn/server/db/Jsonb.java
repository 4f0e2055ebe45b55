package dev.cairn.server.db;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jooq.Converter;
import org.jooq.JSONB;
import org.jspecify.annotations.Nullable;

/**
 * The one codec between JSONB columns and Java: string maps (labels, details) as sorted,
 * compact JSON objects, so equal maps are equal bytes (containment queries, hashes), and
 * structured values as Gson trees. Nothing else in the server builds or parses JSONB.
 */
public final class Jsonb {
  /** String maps ⇄ JSONB as a jOOQ converter (for a forcedType, or {@code DSL.val(map, type)}). */
  @SuppressWarnings("unchecked")
  public static final Converter<JSONB, Map<String, String>> STRING_MAP =
      Converter.of(JSONB.class, (Class<Map<String, String>>) (Class<?>) Map.class, Jsonb::stringMap, Jsonb::of);

  private Jsonb() {}

  /** {@code {"a":"1","b":"2"}}: keys sorted, no whitespace. */
  public static JSONB of(Map<String, String> map) {
    return of(object(map));
  }

  public static JSONB of(JsonElement json) {
    return JSONB.valueOf(json.toString());
  }

  /** A JSON object given as text (a job payload), checked to be one object and stored compact. */
  public static JSONB ofObjectText(String json) {
    return of(JsonParser.parseString(json).getAsJsonObject());
  }

  /** A JSONB value from the text PostgreSQL returned (a JDBC read), unchanged; null for SQL NULL. */
  public static @Nullable JSONB fromDatabase(@Nullable String text) {
    return text == null ? null : JSONB.valueOf(text);
  }

  /** The JSON text of a JSONB value, as PostgreSQL returned it. */
  public static String text(JSONB json) {
    return json.data();
  }

  /** The map a JSONB object of strings holds, keys sorted; empty for SQL NULL. */
  public static SortedMap<String, String> stringMap(@Nullable JSONB json) {
    return json == null ? new TreeMap<>() : stringMap(object(json));
  }

  public static JsonObject object(JSONB json) {
    return JsonParser.parseString(json.data()).getAsJsonObject();
  }

  /** A JSON object of the map's pairs, keys sorted. */
  public static JsonObject object(Map<String, String> map) {
    var obj = new JsonObject();
    new TreeMap<>(map).forEach(obj::addProperty);
    return obj;
  }

  public static SortedMap<String, String> stringMap(JsonObject json) {
    var map = new TreeMap<String, String>();
    json.entrySet().forEach(e -> map.put(e.getKey(), e.getValue().getAsString()));
    return map;
  }
}
