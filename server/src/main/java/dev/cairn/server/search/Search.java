package dev.cairn.server.search;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The domain records of a search: what is asked, and what comes back. */
public final class Search {
  private Search() {}

  /**
   * How a query is matched: LEXICAL runs the full-text ladder (then semantic when it finds
   * nothing), SEMANTIC embedding similarity only, HYBRID fuses the two lists.
   */
  public enum Mode { HYBRID, LEXICAL, SEMANTIC }

  /**
   * The stage that found a hit; the ladder runs EXACT, PREFIX, TYPO, SEMANTIC. The ordinals are
   * written into page tokens, so a new stage is appended, never inserted.
   */
  public enum Stage { EXACT, PREFIX, SEMANTIC, TYPO }

  /** Restricts a search to part of what the caller can read; every set part must match. */
  public record Filter(
      Set<UUID> items,
      Set<UUID> collections,
      Map<String, String> labels,
      List<String> mediaTypes,
      @Nullable OffsetDateTime start,
      @Nullable OffsetDateTime end,
      boolean ownedOnly) {
    public static final Filter NONE = new Filter(Set.of(), Set.of(), Map.of(), List.of(), null, null, false);

    public Filter {
      items = Set.copyOf(items);
      collections = Set.copyOf(collections);
      labels = Map.copyOf(labels);
      mediaTypes = List.copyOf(mediaTypes);
    }
  }

  /**
   * One request.
   *
   * @param language a text search configuration for the query, or empty for each item's own
   */
  public record Query(
      String text, Filter filter, Mode mode, int pageSize, String pageToken, boolean explain, String language) {
    public Query {
      requireNonNull(text, "text");
      requireNonNull(filter, "filter");
      requireNonNull(mode, "mode");
      requireNonNull(pageToken, "pageToken");
      requireNonNull(language, "language");
    }

    public static Query lexical(String text) {
      return new Query(text, Filter.NONE, Mode.LEXICAL, 0, "", false, "");
    }
  }

  /** A marked range of a snippet, in code points. */
  public record Highlight(int start, int end) {}

  /**
   * Why a hit scored as it did (only with {@code explain}); a rank is 1-based and 0 when the hit
   * is not in that list, the fusion score 0 outside HYBRID.
   *
   * @param corrections for a TYPO hit, the words the query was corrected with ("misspelt→word")
   */
  public record Explanation(double lexicalScore, int lexicalRank, double semanticScore, int semanticRank,
      double fusionScore, List<String> matchedTerms, List<String> corrections) {
    public Explanation {
      matchedTerms = List.copyOf(matchedTerms);
      corrections = List.copyOf(corrections);
    }

    static Explanation lexical(double score, int rank, List<String> matched, List<String> corrections) {
      return new Explanation(score, rank, 0, 0, 0, matched, corrections);
    }

    static Explanation semantic(double score, int rank) {
      return new Explanation(0, 0, score, rank, 0, List.of(), List.of());
    }
  }

  /**
   * One hit: the best chunk of an item.
   *
   * @param grantId the grant that lets the caller read it; null for the caller's own items
   */
  public record Hit(
      UUID ownerId,
      UUID itemId,
      int version,
      int ordinal,
      String displayName,
      String mediaType,
      int page,
      List<String> headings,
      String snippet,
      List<Highlight> highlights,
      double score,
      Stage stage,
      @Nullable UUID grantId,
      @Nullable Explanation explanation) {}

  /**
   * What one stage did: candidates (items) it found, and how long it took.
   *
   * @param rewrittenQuery for TYPO, the query with its corrections as it was run ("" when none was found)
   */
  public record StageReport(Stage stage, int candidates, Duration took, String rewrittenQuery) {
    StageReport(Stage stage, int candidates, Duration took) {
      this(stage, candidates, took, "");
    }
  }

  /**
   * A hit with its chunk's full decrypted text, for in-process callers that work in the search's
   * transaction (chat's citations); never sent to a client as such.
   *
   * @param consentId the consent the hit's grant was given under; null for the caller's own items
   */
  public record Passage(Hit hit, String text, @Nullable UUID consentId) {}

  /** @param passages the hits again, in order, with their full texts (see {@link Passage}) */
  public record Result(List<Hit> hits, String nextPageToken, List<StageReport> stages, List<Passage> passages) {
    public Result {
      hits = List.copyOf(hits);
      passages = List.copyOf(passages);
    }
  }
}
