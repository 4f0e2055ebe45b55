package dev.cairn.server.search;

import dev.cairn.server.search.SearchRepository.Ranked;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher 2009) of a lexical and a semantic list of
 * items: each item scores the sum over the lists it is in of weight / (k + rank). Ranks, not
 * scores, are fused, so BM25's unbounded scores and cosines need no common scale.
 */
final class Fusion {
  private Fusion() {}

  /** One fused item, with where it stood in each list (rank 0: absent). */
  record Fused(UUID itemId, double score, @Nullable Ranked lexical, int lexicalRank, @Nullable Ranked semantic,
      int semanticRank) {
    /** The chunk to show: the lexical list's (it has highlights), else the semantic one's. */
    Ranked chunk() {
      return lexical != null ? lexical : semantic;
    }
  }

  /** Best first; ties by item id, the same order on every page. */
  static final Comparator<Fused> ORDER =
      Comparator.comparingDouble(Fused::score).reversed().thenComparing(Fused::itemId);

  static List<Fused> fuse(List<Ranked> lexical, List<Ranked> semantic, int k, double lexicalWeight, double semanticWeight) {
    Map<UUID, Fused> byItem = new LinkedHashMap<>();
    for (int i = 0; i < lexical.size(); i++) {
      Ranked r = lexical.get(i);
      byItem.putIfAbsent(r.itemId(), new Fused(r.itemId(), lexicalWeight / (k + i + 1), r, i + 1, null, 0));
    }
    for (int i = 0; i < semantic.size(); i++) {
      Ranked r = semantic.get(i);
      double add = semanticWeight / (k + i + 1);
      int rank = i + 1;
      byItem.merge(r.itemId(), new Fused(r.itemId(), add, null, 0, r, rank),
          (old, x) -> old.semantic() != null ? old
              : new Fused(old.itemId(), old.score() + add, old.lexical(), old.lexicalRank(), r, rank));
    }
    List<Fused> out = new ArrayList<>(byItem.values());
    out.sort(ORDER);
    return out;
  }
}
