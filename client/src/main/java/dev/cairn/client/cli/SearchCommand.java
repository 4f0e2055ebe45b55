package dev.cairn.client.cli;

import dev.cairn.search.v1.SearchFilter;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchServiceGrpc;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn search "query"}: one Search call per page, hits printed as the server ranked
 * them. Mode, stages and scores are whatever the server answers; a mode it refuses ends in its
 * error, printed as every other command prints one. Extends {@link CommandGroup} for its
 * helpers only: it is a leaf command and does its work in {@link #call()}.
 */
@Command(name = "search", description = {
    "Search the documents you can read (yours and those shared with you).",
    "Quotes, OR and -word work as in web search. Highlights are bold on a terminal, «marked» otherwise."})
final class SearchCommand extends CommandGroup {
  /** The server's largest page. */
  static final int MAX_PAGE = 100;

  enum Mode { lexical, semantic, hybrid }

  enum Color { auto, always, never }

  @Parameters(paramLabel = "QUERY", arity = "1..*", description = "What to look for (several words are joined with spaces).")
  List<String> words = List.of();

  @Option(names = "--mode", paramLabel = "MODE",
      description = "${COMPLETION-CANDIDATES} (default: the server's, hybrid).")
  @Nullable Mode mode;

  @Option(names = "--explain", description = "Show each hit's scores and ranks, and each stage's candidates and time.")
  boolean explain;

  @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "10",
      description = "At most this many hits (default ${DEFAULT-VALUE}); fetched in pages of up to " + MAX_PAGE + ".")
  int limit;

  @Option(names = "--all", description = "Every hit: follow page tokens to the end (ignores --limit).")
  boolean all;

  @Option(names = "--page-token", paramLabel = "TOKEN", description = "Continue from a previous search's next page token.")
  @Nullable String pageToken;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only items with this label value; repeat: all of them.")
  @Nullable List<String> labels;

  @Option(names = "--media-type", paramLabel = "TYPE", description = "Only this media type (type/* for a whole type); repeat: any of them.")
  @Nullable List<String> mediaTypes;

  @Option(names = "--item", paramLabel = "ITEM", description = "Only this item (id or items/{id}); repeat: any of them.")
  @Nullable List<String> items;

  @Option(names = "--collection", paramLabel = "COLLECTION", description = "Only records in this collection; repeat: any of them.")
  @Nullable List<String> collections;

  @Option(names = "--owned-only", description = "Only your own items, not those shared with you.")
  boolean ownedOnly;

  @Option(names = "--language", paramLabel = "CONFIG",
      description = "Text search configuration for the query, e.g. english, simple (default: each item's own).")
  @Nullable String language;

  @Option(names = "--json", description = "Print the responses as JSON (same as -o json).")
  boolean json;

  @Option(names = "--color", paramLabel = "WHEN",
      description = "Highlight with ANSI bold/reverse: ${COMPLETION-CANDIDATES} (default auto: on a terminal, unless NO_COLOR is set).")
  Color color = Color.auto;

  @Override
  public Integer call() {
    if (!all && (limit < 1 || limit > 10_000)) {
      throw usage("--limit: " + limit + " (expected: 1..10000)");
    }
    SearchRequest request = request();
    if (json) {
      cli.options.output = ClientOptions.Format.json;
    }
    boolean ansi = color == Color.always || (color == Color.auto && cli.errIsTerminal() && !noColor(cli.env()));
    return cli.call((client, output) -> {
      var stub = SearchServiceGrpc.newBlockingStub(client.channel());
      SearchResponse result = fetch(stub, request);
      output.print(result, text -> new SearchPrinter(text, ansi, explain).print(result, all || result.getNextPageToken().isEmpty()));
    });
  }

  /** Pages until --limit hits (or the end, with --all); one response with every hit, the first page's stages and the last token. */
  private SearchResponse fetch(SearchServiceGrpc.SearchServiceBlockingStub stub, SearchRequest first) {
    SearchResponse.Builder merged = SearchResponse.newBuilder();
    SearchRequest.Builder request = first.toBuilder();
    boolean firstPage = true;
    do {
      int wanted = all ? MAX_PAGE : Math.min(MAX_PAGE, limit - merged.getHitsCount());
      SearchResponse page = stub.search(request.setPageSize(wanted).build());
      merged.addAllHits(page.getHitsList()).setNextPageToken(page.getNextPageToken());
      if (firstPage) {
        merged.addAllStages(page.getStagesList()); // a later page runs only the stage the first page came from
        firstPage = false;
      }
      request.setPageToken(page.getNextPageToken());
      if (page.getHitsCount() == 0) {
        break; // a token with an empty page would otherwise loop forever
      }
    } while (!merged.getNextPageToken().isEmpty() && (all || merged.getHitsCount() < limit));
    return merged.build();
  }

  SearchRequest request() {
    String query = String.join(" ", words).strip();
    if (query.isEmpty()) {
      throw usage("QUERY: empty (expected: at least one word)");
    }
    SearchFilter.Builder filter = SearchFilter.newBuilder()
        .putAllLabels(labels("--label", labels))
        .setOwnedOnly(ownedOnly);
    if (mediaTypes != null) {
      filter.addAllMediaTypes(mediaTypes);
    }
    if (items != null) {
      items.forEach(i -> filter.addItems(named("items", i)));
    }
    if (collections != null) {
      collections.forEach(c -> filter.addCollections(named("collections", c)));
    }
    SearchRequest.Builder request = SearchRequest.newBuilder()
        .setQuery(query)
        .setFilter(filter)
        .setExplain(explain)
        .setMode(mode == null ? SearchMode.SEARCH_MODE_UNSPECIFIED : switch (mode) {
          case lexical -> SearchMode.SEARCH_MODE_LEXICAL;
          case semantic -> SearchMode.SEARCH_MODE_SEMANTIC;
          case hybrid -> SearchMode.SEARCH_MODE_HYBRID;
        });
    if (language != null) {
      request.setLanguage(language);
    }
    if (pageToken != null) {
      request.setPageToken(pageToken);
    }
    return request.build();
  }

  /** no-color.org: set and not empty turns colour off. */
  static boolean noColor(Map<String, String> env) {
    String value = env.get("NO_COLOR");
    return value != null && !value.isEmpty();
  }
}
