package dev.cairn.server.search.vector;

import java.util.Collection;
import java.util.Set;
import java.util.UUID;
import org.apache.lucene.document.KeywordField;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.BytesRef;

/**
 * What a caller may read, as the index sees it: every chunk of the listed owners (the caller's
 * own, and owners who shared everything) and every chunk of the listed items (shared one by one
 * or through a collection). Built by the search service from the access rules; an empty filter
 * reads nothing.
 */
public record ReadFilter(Set<UUID> owners, Set<UUID> items) {
  public ReadFilter {
    owners = Set.copyOf(owners);
    items = Set.copyOf(items);
  }

  public static ReadFilter of(Collection<UUID> owners, Collection<UUID> items) {
    return new ReadFilter(Set.copyOf(owners), Set.copyOf(items));
  }

  public static ReadFilter owners(UUID... owners) {
    return new ReadFilter(Set.of(owners), Set.of());
  }

  public static ReadFilter items(UUID... items) {
    return new ReadFilter(Set.of(), Set.of(items));
  }

  public static ReadFilter nothing() {
    return new ReadFilter(Set.of(), Set.of());
  }

  public boolean isEmpty() {
    return owners.isEmpty() && items.isEmpty();
  }

  /** Matches a chunk whose owner or item is listed; used as the HNSW search's filter. */
  Query toQuery() {
    BooleanQuery.Builder query = new BooleanQuery.Builder().setMinimumNumberShouldMatch(1);
    if (!owners.isEmpty()) {
      query.add(KeywordField.newSetQuery(VectorIndex.OWNER, terms(owners)), BooleanClause.Occur.SHOULD);
    }
    if (!items.isEmpty()) {
      query.add(KeywordField.newSetQuery(VectorIndex.ITEM, terms(items)), BooleanClause.Occur.SHOULD);
    }
    return query.build();
  }

  private static Collection<BytesRef> terms(Set<UUID> ids) {
    return ids.stream().map(id -> new BytesRef(id.toString())).toList();
  }
}
