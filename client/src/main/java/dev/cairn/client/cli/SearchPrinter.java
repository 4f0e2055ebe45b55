package dev.cairn.client.cli;

import dev.cairn.search.v1.HitExplanation;
import dev.cairn.search.v1.SearchHit;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchStage;
import dev.cairn.search.v1.StageReport;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text form of a search: one block per hit (rank, display name, item, score, stage, page,
 * headings, highlighted snippet, the grant it came through), the scores behind each hit and the
 * stage report with {@code --explain}, and how to get the next page.
 */
final class SearchPrinter {
  private final PrintWriter out;
  private final boolean terminal;
  private final boolean explain;

  SearchPrinter(PrintWriter out, boolean terminal, boolean explain) {
    this.out = out;
    this.terminal = terminal;
    this.explain = explain;
  }

  void print(SearchResponse response, boolean complete) {
    int rank = 0;
    for (SearchHit hit : response.getHitsList()) {
      hit(++rank, hit);
    }
    if (response.getHitsCount() == 0) {
      out.println("no hits" + (explain ? "" : " (stages: " + stagesBrief(response.getStagesList()) + ")"));
    }
    if (explain) {
      stages(response.getStagesList());
    }
    if (!complete && !response.getNextPageToken().isEmpty()) {
      out.println("more: --page-token " + response.getNextPageToken() + " (or --all)");
    }
  }

  private void hit(int rank, SearchHit hit) {
    String name = Snippets.safe(hit.getDisplayName().isEmpty() ? "(untitled)" : hit.getDisplayName());
    List<String> facts = new ArrayList<>();
    facts.add(hit.getItem() + (hit.getVersion() > 0 ? " v" + hit.getVersion() : ""));
    if (!hit.getMediaType().isEmpty()) {
      facts.add(Snippets.safe(hit.getMediaType()));
    }
    if (hit.getPage() > 0) {
      facts.add("page " + hit.getPage());
    }
    facts.add(stage(hit.getStage(), hit.getStageValue()));
    facts.add(String.format(Locale.ROOT, "score %.4f", hit.getScore()));
    out.printf("%d. %s  (%s)%n", rank, name, String.join(", ", facts));
    if (hit.getHeadingPathCount() > 0) {
      out.println("   " + Snippets.safe(String.join(" › ", hit.getHeadingPathList())));
    }
    if (!hit.getSnippet().getText().isEmpty()) {
      out.println("   " + Snippets.render(hit.getSnippet(), terminal));
    }
    if (!hit.getGrant().isEmpty()) {
      out.println("   shared with you through " + hit.getGrant());
    }
    if (explain && hit.hasExplanation()) {
      out.println("   " + explanation(hit.getExplanation()));
    }
  }

  static String explanation(HitExplanation e) {
    List<String> parts = new ArrayList<>();
    if (e.getLexicalRank() > 0) {
      parts.add(String.format(Locale.ROOT, "lexical %.4f (#%d)", e.getLexicalScore(), e.getLexicalRank()));
    }
    if (e.getSemanticRank() > 0) {
      parts.add(String.format(Locale.ROOT, "semantic %.4f (#%d)", e.getSemanticScore(), e.getSemanticRank()));
    }
    if (e.getFusionScore() != 0) {
      parts.add(String.format(Locale.ROOT, "fusion %.5f", e.getFusionScore()));
    }
    if (e.getMatchedTermsCount() > 0) {
      parts.add("matched: " + Snippets.safe(String.join(", ", e.getMatchedTermsList())));
    }
    if (e.getCorrectionsCount() > 0) {
      parts.add("corrections: " + Snippets.safe(String.join(", ", e.getCorrectionsList())));
    }
    return "explain: " + (parts.isEmpty() ? "(no scores)" : String.join(" · ", parts));
  }

  private void stages(List<StageReport> stages) {
    if (stages.isEmpty()) {
      out.println("stages: (none reported)");
      return;
    }
    out.println("stages:");
    for (StageReport s : stages) {
      double millis = s.getDuration().getSeconds() * 1e3 + s.getDuration().getNanos() / 1e6;
      String line = String.format(Locale.ROOT, "  %-8s %6d candidates  %8.2f ms", stage(s.getStage(), s.getStageValue()),
          s.getCandidateCount(), millis);
      if (!s.getRewrittenQuery().isEmpty()) {
        line += "  query: " + Snippets.safe(s.getRewrittenQuery());
      }
      out.println(line);
    }
  }

  private static String stagesBrief(List<StageReport> stages) {
    if (stages.isEmpty()) {
      return "none reported";
    }
    List<String> parts = new ArrayList<>();
    stages.forEach(s -> parts.add(stage(s.getStage(), s.getStageValue()) + " " + s.getCandidateCount()));
    return String.join(", ", parts);
  }

  /** EXACT, PREFIX, TYPO, SEMANTIC; a stage this client does not know yet by its number. */
  static String stage(SearchStage stage, int value) {
    return switch (stage) {
      case SEARCH_STAGE_UNSPECIFIED -> "-";
      case UNRECOGNIZED -> "stage " + value;
      default -> stage.name().substring("SEARCH_STAGE_".length());
    };
  }
}
