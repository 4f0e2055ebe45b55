package dev.cairn.server.vault.records;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Compiled collection schemas by (collection, revision): compiling a JSON Schema costs far
 * more than validating against it, and a collection's schema only changes with its revision,
 * so a cached entry is never stale. Bounded (least recently used out).
 */
final class SchemaCache {
  private static final int MAX_ENTRIES = 512;

  private record Key(UUID collection, long revision) {}

  private final Map<Key, CollectionSchema> entries =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, CollectionSchema> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  /** The compiled schema of {@code collection} (a stored schema is known to compile). */
  CollectionSchema get(CollectionInfo collection) {
    Key key = new Key(collection.id(), collection.revision());
    synchronized (entries) {
      CollectionSchema cached = entries.get(key);
      if (cached != null) {
        return cached;
      }
    }
    // compiled outside the lock: two threads may both compile once, which is harmless
    CollectionSchema compiled = CollectionSchema.compile(collection.jsonSchema(), "collection.json_schema");
    synchronized (entries) {
      entries.put(key, compiled);
    }
    return compiled;
  }
}
