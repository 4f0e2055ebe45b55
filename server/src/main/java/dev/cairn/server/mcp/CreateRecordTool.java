package dev.cairn.server.mcp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code create_record}: VaultService/CreateItem with a record's JSON (WRITE scope only); a
 * collection's schema, if it declares one, is checked by the RPC as for any client.
 */
final class CreateRecordTool implements CairnTool {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private final CairnStubs stubs;

  CreateRecordTool(CairnStubs stubs) {
    this.stubs = stubs;
  }

  @Override
  public String name() {
    return "create_record";
  }

  @Override
  public String description() {
    return "Save a new structured record (a JSON object) in this user's vault, usually in a collection whose "
        + "schema it must match (needs a token with the write scope).";
  }

  @Override
  public boolean writes() {
    return true;
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("collection", ToolFields.string("The collection (collections/{id}); its schema, if any, applies"));
    p.put("data", Map.of("type", "object", "description", "The record's fields"));
    p.put("display_name", ToolFields.string("A title (up to 200 characters)"));
    p.put("labels", ToolFields.labels("Labels (key: value)"));
    p.put("request_id", ToolFields.string("A UUID that makes a retried create return the first result"));
    return p;
  }

  @Override
  public Set<String> required() {
    return Set.of("data");
  }

  @Override
  public Object call(McpCaller caller, ToolArgs args) {
    Struct data;
    try {
      data = Json.struct(args.requiredObject("data"));
    } catch (InvalidProtocolBufferException e) {
      throw new ToolInputException("data", "not a JSON object Cairn can store (" + e.getMessage() + ")");
    }
    var item = Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD)
        .setDisplayName(args.string("display_name"))
        .setData(data)
        .putAllLabels(args.stringMap("labels"));
    String collection = args.string("collection");
    if (!collection.isEmpty()) {
      item.setCollection(ToolFields.name("collections", collection));
    }
    Item created = stubs.vault(caller, name(), DEADLINE).createItem(
        CreateItemRequest.newBuilder().setItem(item).setRequestId(args.string("request_id")).build()).getItem();
    Map<String, Object> view = ItemViews.summary(created);
    view.put("data", Json.plain(created.getData()));
    return Map.of("item", view);
  }
}
