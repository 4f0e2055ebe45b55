package dev.cairn.server.search;

import dev.cairn.server.search.index.WordSpans;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The word spans of chunk texts (see {@link WordSpans}), for the index job to store with each
 * chunk: one statement through PostgreSQL's parser per item, when it is indexed, instead of one
 * per search that hits it.
 */
public final class ChunkWords {
  private ChunkWords() {}

  /** The spans of each text, parsed and normalised in {@code language} (a text search configuration). */
  public static List<WordSpans> of(DSLContext sql, List<String> texts, String language) {
    var tokens = SearchRepository.tokens(sql, texts, Collections.nCopies(texts.size(), language));
    List<WordSpans> out = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      out.add(Highlighter.spans(texts.get(i), tokens.get(i)));
    }
    return out;
  }
}
