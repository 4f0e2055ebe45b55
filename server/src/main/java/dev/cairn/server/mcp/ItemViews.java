package dev.cairn.server.mcp;

import com.google.protobuf.Timestamp;
import dev.cairn.vault.v1.Item;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** An item's metadata as a tool shows it (names, kind, type, size, labels, times). */
final class ItemViews {
  private ItemViews() {}

  static Map<String, Object> summary(Item item) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", item.getName());
    out.put("display_name", item.getDisplayName());
    out.put("kind", item.getKind() == Item.Kind.KIND_RECORD ? "record" : "document");
    if (!item.getMediaType().isEmpty()) {
      out.put("media_type", item.getMediaType());
    }
    out.put("size_bytes", item.getSizeBytes());
    out.put("version", item.getVersion());
    out.put("owner", item.getOwner());
    if (!item.getCollection().isEmpty()) {
      out.put("collection", item.getCollection());
    }
    if (item.getLabelsCount() > 0) {
      out.put("labels", item.getLabelsMap());
    }
    out.put("searchable", item.getSearchable());
    if (item.hasUpdateTime()) {
      out.put("update_time", time(item.getUpdateTime()));
    }
    if (item.getState() == Item.State.STATE_DELETED) {
      out.put("state", item.getState().name().substring("STATE_".length()).toLowerCase(Locale.ROOT));
    }
    return out;
  }

  static String time(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
  }
}
