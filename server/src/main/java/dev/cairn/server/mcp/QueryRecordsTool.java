package dev.cairn.server.mcp;

import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.QueryRecordsRequest;
import dev.cairn.vault.v1.QueryRecordsResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code query_records}: VaultService/QueryRecords, a collection's records matching an AIP-160 filter. */
final class QueryRecordsTool implements CairnTool {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private final CairnStubs stubs;

  QueryRecordsTool(CairnStubs stubs) {
    this.stubs = stubs;
  }

  @Override
  public String name() {
    return "query_records";
  }

  @Override
  public String description() {
    return "Query the structured records of one collection with an AIP-160 filter over their JSON fields, e.g. "
        + "'data.status = \"open\" AND data.amount > 100', optionally ordered ('data.amount desc'). Returns each record's name and data.";
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("collection", ToolFields.string("The collection, collections/{id}"));
    p.put("filter", ToolFields.string("AIP-160 filter over the records' fields (empty: all records)"));
    p.put("order_by", ToolFields.string("Fields to order by, e.g. 'data.amount desc'"));
    p.put("page_size", ToolFields.integer("Records to return (default 20)", 1, 100));
    p.put("page_token", ToolFields.string("next_page_token of the previous page"));
    return p;
  }

  @Override
  public Set<String> required() {
    return Set.of("collection");
  }

  @Override
  public String argumentFor(String rpcField) {
    return ToolFields.argument(rpcField, Map.of("parent", "collection"));
  }

  @Override
  public Object call(McpCaller caller, ToolArgs args) {
    var request = QueryRecordsRequest.newBuilder()
        .setParent(ToolFields.name("collections", args.requiredString("collection")))
        .setFilter(args.string("filter"))
        .setOrderBy(args.string("order_by"))
        .setPageSize(args.integer("page_size", 20, 1, 100))
        .setPageToken(args.string("page_token"))
        .build();
    QueryRecordsResponse response = stubs.vault(caller, name(), DEADLINE).queryRecords(request);
    List<Map<String, Object>> records = new ArrayList<>();
    for (Item record : response.getRecordsList()) {
      Map<String, Object> view = ItemViews.summary(record);
      view.put("data", Json.plain(record.getData()));
      records.add(view);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("records", records);
    if (!response.getNextPageToken().isEmpty()) {
      out.put("next_page_token", response.getNextPageToken());
    }
    return out;
  }
}
