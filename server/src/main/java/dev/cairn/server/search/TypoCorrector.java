package dev.cairn.server.search;

import dev.cairn.server.core.Principal;
import dev.cairn.server.search.Search.Filter;
import dev.cairn.server.search.SearchRepository.Word;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * The TYPO stage's corrections. Each word of the query that was searched for (it has a lexeme
 * among the query's positive terms) and that matched nothing the caller can read (every such
 * lexeme has no chunk), and that {@link TypoRules} lets be corrected, is looked up in the
 * vocabulary of the items the caller can read: candidates by trigram similarity (pg_trgm), then
 * each measured by Damerau-Levenshtein with the first letter counting double; the best is the
 * fewest typos, then the most occurrences in what the caller can read, then alphabetical. The
 * corrected words replace the misspelt ones' lexemes in each parsed query, so the query's syntax
 * (phrases, OR, exclusions) stays as it was written.
 */
final class TypoCorrector {
  /**
   * pg_trgm similarity a candidate needs: low, because one transposition in a 5-letter word
   * already leaves only 0.2 ("house"/"huose") and two substitutions in a 9-letter one 0.25; the
   * edit distance, not the trigrams, decides.
   */
  static final double TRIGRAM_THRESHOLD = 0.15;
  /** Candidates measured per word (most similar first). */
  static final int CANDIDATES = 200;

  /** One word corrected: as typed (lower case), the vocabulary word, and the typos between them. */
  record Correction(String from, String to, int typos) {
    String shown() {
      return from + "→" + to;
    }
  }

  /**
   * What the TYPO stage runs: the parsed queries with the corrected lexemes, the corrections, and
   * the query text with the corrected words (what the caller is told was searched).
   */
  record Rewrite(Map<@Nullable String, String> parsed, List<Correction> corrections, String text) {
    List<String> shown() {
      return corrections.stream().map(Correction::shown).toList();
    }
  }

  private final SearchRepository repository;

  TypoCorrector(SearchRepository repository) {
    this.repository = repository;
  }

  /**
   * The corrected query, or null when no word needs and finds a correction.
   *
   * @param parsed the query per text search configuration (a null key: {@code language})
   * @param documentFrequency chunks per lexeme among what the caller can read
   */
  @Nullable Rewrite correct(DSLContext sql, Principal caller, List<UUID> owners, Filter filter, String text,
      Map<@Nullable String, String> parsed, @Nullable String language, Map<String, Long> documentFrequency) {
    Map<String, String> typed = new LinkedHashMap<>(); // lower case → as first typed
    for (String w : Words.of(text)) {
      if (TypoRules.allowed(w) > 0) {
        typed.putIfAbsent(Words.lower(w), w);
      }
    }
    if (typed.isEmpty()) {
      return null;
    }
    Map<@Nullable String, String> configs = new LinkedHashMap<>();
    parsed.keySet().forEach(k -> configs.put(k, k == null ? requireLanguage(language) : k));
    Set<String> configNames = new LinkedHashSet<>(configs.values());
    var lexemes = repository.lexemes(sql, typed.keySet(), configNames);
    List<Correction> corrections = new ArrayList<>();
    for (var e : typed.entrySet()) {
      Set<String> searched = searchedLexemes(lexemes.getOrDefault(e.getKey(), Map.of()), parsed, configs);
      if (searched.isEmpty() || searched.stream().anyMatch(l -> documentFrequency.getOrDefault(l, 0L) > 0)) {
        continue; // not searched for (a stop word, an excluded word), or it matched
      }
      Correction best = best(sql, caller, owners, filter, e.getKey(), TypoRules.allowed(e.getValue()));
      if (best != null) {
        corrections.add(best);
      }
    }
    if (corrections.isEmpty()) {
      return null;
    }
    var corrected = repository.lexemes(sql, corrections.stream().map(Correction::to).toList(), configNames);
    Map<@Nullable String, String> rewritten = new LinkedHashMap<>();
    parsed.forEach((k, q) -> {
      Map<String, String> swap = new HashMap<>();
      for (Correction c : corrections) {
        List<String> to = corrected.getOrDefault(c.to(), Map.of()).getOrDefault(configs.get(k), List.of());
        if (!to.isEmpty()) {
          lexemes.getOrDefault(c.from(), Map.of()).getOrDefault(configs.get(k), List.of()).forEach(l -> swap.put(l, to.getFirst()));
        }
      }
      rewritten.put(k, QueryTerms.replace(q, swap));
    });
    if (rewritten.equals(parsed)) {
      return null;
    }
    return new Rewrite(rewritten, List.copyOf(corrections), rewriteText(text, corrections));
  }

  private static String requireLanguage(@Nullable String language) {
    if (language == null) {
      throw new IllegalStateException("a parsed query without a configuration needs the query's language");
    }
    return language;
  }

  /** The word's lexemes that are positive terms of the query in the same configuration. */
  private static Set<String> searchedLexemes(Map<String, List<String>> byConfig, Map<@Nullable String, String> parsed,
      Map<@Nullable String, String> configs) {
    Set<String> out = new HashSet<>();
    parsed.forEach((k, q) -> {
      List<String> positive = QueryTerms.positive(q);
      byConfig.getOrDefault(configs.get(k), List.of()).stream().filter(positive::contains).forEach(out::add);
    });
    return out;
  }

  private @Nullable Correction best(DSLContext sql, Principal caller, List<UUID> owners, Filter filter, String word, int allowed) {
    var matcher = new TypoRules.Matcher(word, allowed);
    Correction best = null;
    long bestCount = 0;
    for (Word candidate : repository.vocabulary(sql, caller, owners, filter, word, allowed, TRIGRAM_THRESHOLD, CANDIDATES)) {
      int typos = matcher.typos(candidate.word());
      if (typos <= 0) {
        continue; // beyond the allowance (or the word itself)
      }
      var c = new Correction(word, candidate.word(), typos);
      if (best == null || BETTER.compare(new Ranked(c, candidate.occurrences()), new Ranked(best, bestCount)) < 0) {
        best = c;
        bestCount = candidate.occurrences();
      }
    }
    return best;
  }

  private record Ranked(Correction correction, long occurrences) {}

  private static final Comparator<Ranked> BETTER = Comparator.<Ranked>comparingInt(r -> r.correction().typos())
      .thenComparing(Comparator.comparingLong(Ranked::occurrences).reversed())
      .thenComparing(r -> r.correction().to());

  /** The query text with each corrected word (as a whole word, any case) replaced. */
  private static String rewriteText(String text, List<Correction> corrections) {
    String out = text;
    for (Correction c : corrections) {
      Pattern word = Pattern.compile("(?<![\\p{L}\\p{M}\\p{Nd}])" + Pattern.quote(c.from()) + "(?![\\p{L}\\p{M}\\p{Nd}])",
          Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
      out = word.matcher(out).replaceAll(Matcher.quoteReplacement(c.to()));
    }
    return out;
  }
}
