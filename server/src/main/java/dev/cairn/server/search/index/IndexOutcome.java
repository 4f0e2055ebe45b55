package dev.cairn.server.search.index;

/** What one run of the indexer did for an item. */
public enum IndexOutcome {
  /** The version's chunks are stored (replacing any earlier set). */
  INDEXED,
  /** The version was already indexed: nothing to do. */
  UP_TO_DATE,
  /** A newer version (or a deletion) overtook this run: it wrote nothing. */
  SUPERSEDED,
  /** Not searchable, deleted or gone: its chunks were removed. */
  REMOVED,
  /** Extraction failed for good; the status says why. */
  FAILED
}
