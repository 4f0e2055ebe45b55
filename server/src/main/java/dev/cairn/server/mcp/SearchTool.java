package dev.cairn.server.mcp;


import dev.cairn.search.v1.SearchFilter;
import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.StageReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code search}: SearchService/Search with the caller's rights; hits with snippets and item names. */
final class SearchTool implements CairnTool {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final Map<String, SearchMode> MODES = Map.of(
      "hybrid", SearchMode.SEARCH_MODE_HYBRID,
      "lexical", SearchMode.SEARCH_MODE_LEXICAL,
      "semantic", SearchMode.SEARCH_MODE_SEMANTIC);
  private final CairnStubs stubs;

  SearchTool(CairnStubs stubs) {
    this.stubs = stubs;
  }

  @Override
  public String name() {
    return "search";
  }

  @Override
  public String description() {
    return "Search the documents this user can read (their own and those shared with them). Returns ranked hits "
        + "with the item name, display name, a highlighted snippet and a score; pass an item name to fetch to read it.";
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("query", ToolFields.string("What to look for: words, a phrase in quotes, or a question (1..1000 characters)"));
    p.put("mode", ToolFields.choice("hybrid (default: words and meaning), lexical (words) or semantic (meaning)",
        List.of("hybrid", "lexical", "semantic")));
    p.put("collections", ToolFields.strings("Only items in these collections (collections/{id})"));
    p.put("items", ToolFields.strings("Only these items (items/{id})"));
    p.put("labels", ToolFields.labels("Only items carrying all these labels (key: value)"));
    p.put("media_types", ToolFields.strings("Only these media types, e.g. text/markdown or application/*"));
    p.put("page_size", ToolFields.integer("Hits to return (default 10)", 1, 50));
    p.put("page_token", ToolFields.string("next_page_token of the previous page"));
    return p;
  }

  @Override
  public Set<String> required() {
    return Set.of("query");
  }

  @Override
  public Object call(McpCaller caller, ToolArgs args) {
    var filter = SearchFilter.newBuilder()
        .addAllCollections(args.strings("collections").stream().map(c -> ToolFields.name("collections", c)).toList())
        .addAllItems(args.strings("items").stream().map(i -> ToolFields.name("items", i)).toList())
        .putAllLabels(args.stringMap("labels"))
        .addAllMediaTypes(args.strings("media_types"));
    var request = SearchRequest.newBuilder()
        .setQuery(args.requiredString("query"))
        .setMode(MODES.get(args.choice("mode", "hybrid", MODES.keySet())))
        .setFilter(filter)
        .setPageSize(args.integer("page_size", 10, 1, 50))
        .setPageToken(args.string("page_token"))
        .build();
    SearchResponse response = stubs.search(caller, name(), DEADLINE).search(request);
    List<Map<String, Object>> hits = new ArrayList<>();
    for (SearchHit hit : response.getHitsList()) {
      hits.add(hit(hit));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("hits", hits);
    out.put("stages", response.getStagesList().stream().map(SearchTool::stage).toList());
    if (!response.getNextPageToken().isEmpty()) {
      out.put("next_page_token", response.getNextPageToken());
    }
    return out;
  }

  private static Map<String, Object> hit(SearchHit hit) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("item", hit.getItem());
    out.put("display_name", hit.getDisplayName());
    out.put("media_type", hit.getMediaType());
    out.put("version", hit.getVersion());
    out.put("snippet", hit.getSnippet().getText());
    out.put("score", hit.getScore());
    out.put("stage", lower(hit.getStage().name(), "SEARCH_STAGE_"));
    if (hit.getPage() > 0) {
      out.put("page", hit.getPage());
    }
    if (hit.getHeadingPathCount() > 0) {
      out.put("heading_path", hit.getHeadingPathList());
    }
    if (!hit.getGrant().isEmpty()) {
      out.put("grant", hit.getGrant());
    }
    return out;
  }

  private static Map<String, Object> stage(StageReport stage) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("stage", lower(stage.getStage().name(), "SEARCH_STAGE_"));
    out.put("candidates", stage.getCandidateCount());
    if (!stage.getRewrittenQuery().isEmpty()) {
      out.put("rewritten_query", stage.getRewrittenQuery());
    }
    return out;
  }

  static String lower(String enumName, String prefix) {
    String word = enumName.startsWith(prefix) ? enumName.substring(prefix.length()) : enumName;
    return word.toLowerCase(Locale.ROOT);
  }
}
