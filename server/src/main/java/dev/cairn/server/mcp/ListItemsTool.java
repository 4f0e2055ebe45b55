package dev.cairn.server.mcp;

import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.ListItemsResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code list_items}: VaultService/ListItems, one page of the caller's items (or those shared with them). */
final class ListItemsTool implements CairnTool {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final Map<String, Item.Kind> KINDS = Map.of(
      "any", Item.Kind.KIND_UNSPECIFIED, "document", Item.Kind.KIND_DOCUMENT, "record", Item.Kind.KIND_RECORD);
  private final CairnStubs stubs;

  ListItemsTool(CairnStubs stubs) {
    this.stubs = stubs;
  }

  @Override
  public String name() {
    return "list_items";
  }

  @Override
  public String description() {
    return "List this user's items, newest first, one page at a time: names, display names, kinds, media types, "
        + "sizes and labels (no content; use fetch). shared_with_me lists what others shared with this user instead.";
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("kind", ToolFields.choice("document, record or any (default)", List.of("any", "document", "record")));
    p.put("collection", ToolFields.string("Only items of this collection (collections/{id})"));
    p.put("labels", ToolFields.labels("Only items carrying all these labels (key: value; an empty value matches any)"));
    p.put("media_type", ToolFields.string("Only this media type, e.g. text/markdown or text/*"));
    p.put("shared_with_me", Map.of("type", "boolean", "description", "List items others shared with this user"));
    p.put("page_size", ToolFields.integer("Items to return (default 20)", 1, 100));
    p.put("page_token", ToolFields.string("next_page_token of the previous page"));
    return p;
  }

  @Override
  public Set<String> required() {
    return Set.of();
  }

  @Override
  public Object call(McpCaller caller, ToolArgs args) {
    var request = ListItemsRequest.newBuilder()
        .setKind(KINDS.get(args.choice("kind", "any", KINDS.keySet())))
        .setMediaType(args.string("media_type"))
        .setSharedWithMe(args.bool("shared_with_me", false))
        .setPageSize(args.integer("page_size", 20, 1, 100))
        .setPageToken(args.string("page_token"));
    String collection = args.string("collection");
    if (!collection.isEmpty()) {
      request.setCollection(ToolFields.name("collections", collection));
    }
    args.stringMap("labels").forEach((k, v) -> request.addLabels(v.isEmpty() ? k : k + "=" + v));
    ListItemsResponse response = stubs.vault(caller, name(), DEADLINE).listItems(request.build());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", response.getItemsList().stream().map(ItemViews::summary).toList());
    if (!response.getNextPageToken().isEmpty()) {
      out.put("next_page_token", response.getNextPageToken());
    }
    return out;
  }
}
