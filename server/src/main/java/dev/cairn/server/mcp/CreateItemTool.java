package dev.cairn.server.mcp;

import com.google.protobuf.ByteString;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code create_item}: VaultService/CreateItem with a text document (WRITE scope only). Searchable
 * by default, so it is indexed like any other document the owner marks searchable.
 */
final class CreateItemTool implements CairnTool {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private final CairnStubs stubs;

  CreateItemTool(CairnStubs stubs) {
    this.stubs = stubs;
  }

  @Override
  public String name() {
    return "create_item";
  }

  @Override
  public String description() {
    return "Save a new text document in this user's vault (needs a token with the write scope). "
        + "It is searchable unless searchable is false.";
  }

  @Override
  public boolean writes() {
    return true;
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("display_name", ToolFields.string("A title (up to 200 characters)"));
    p.put("text", ToolFields.string("The document's text"));
    p.put("media_type", ToolFields.choice("text/plain (default), text/markdown or text/html",
        List.of("text/plain", "text/markdown", "text/html")));
    p.put("labels", ToolFields.labels("Labels to file it under (key: value)"));
    p.put("collection", ToolFields.string("A collection to put it in (collections/{id})"));
    p.put("searchable", Map.of("type", "boolean", "description", "Index it for search (default true)"));
    p.put("request_id", ToolFields.string("A UUID that makes a retried create return the first result"));
    return p;
  }

  @Override
  public Set<String> required() {
    return Set.of("display_name", "text");
  }

  @Override
  public String argumentFor(String rpcField) {
    return ToolFields.argument(rpcField, Map.of("content", "text"));
  }

  @Override
  public Object call(McpCaller caller, ToolArgs args) {
    var item = Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT)
        .setDisplayName(args.requiredString("display_name"))
        .setMediaType(args.choice("media_type", "text/plain", Set.of("text/plain", "text/markdown", "text/html")))
        .setContent(ByteString.copyFrom(args.requiredString("text"), StandardCharsets.UTF_8))
        .putAllLabels(args.stringMap("labels"))
        .setSearchable(args.bool("searchable", true));
    String collection = args.string("collection");
    if (!collection.isEmpty()) {
      item.setCollection(ToolFields.name("collections", collection));
    }
    Item created = stubs.vault(caller, name(), DEADLINE).createItem(
        CreateItemRequest.newBuilder().setItem(item).setRequestId(args.string("request_id")).build()).getItem();
    return Map.of("item", ItemViews.summary(created));
  }
}
