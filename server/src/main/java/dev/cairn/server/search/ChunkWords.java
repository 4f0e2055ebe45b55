package dev.cairn.server.search;

import dev.cairn.server.search.index.WordSpans;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The word spans of chunk texts (see {@link WordSpans}) through PostgreSQL's parser: for the
 * index job to store with each chunk (once per item, instead of once per search that hits it),
 * and for a search's hits on chunks indexed before spans were stored.
 */
public final class ChunkWords {
  /** Texts per statement: a large document's chunks go through the parser in bounded statements. */
  private static final int BATCH = 64;

  private ChunkWords() {}

  /** The spans of each text, parsed and normalised in its text search configuration ({@code languages}, one each). */
  public static List<WordSpans> of(DSLContext sql, List<String> texts, List<String> languages) {
    List<WordSpans> out = new ArrayList<>(texts.size());
    for (int from = 0; from < texts.size(); from += BATCH) {
      int to = Math.min(texts.size(), from + BATCH);
      var tokens = SearchRepository.tokens(sql, texts.subList(from, to), languages.subList(from, to));
      for (int i = from; i < to; i++) {
        out.add(Highlighter.spans(texts.get(i), tokens.get(i - from)));
      }
    }
    return out;
  }
}
