package dev.cairn.server.search.vector;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which vectors an index holds (model and dimensions) and how far it is caught up, as recorded
 * in each Lucene commit's user data.
 */
record IndexIdentity(String modelId, int dimensions, int format) {
  private static final Logger log = LoggerFactory.getLogger(IndexIdentity.class);

  static final String MODEL = "cairn.model";
  static final String DIMENSIONS = "cairn.dimensions";
  static final String FORMAT = "cairn.format";
  static final String APPLIED_THROUGH = "cairn.applied_through";

  /**
   * How the documents are laid out. 1: the ids only as keyword fields; 2: each id also as two
   * numeric doc values (its 64-bit halves), which hits are read from, and the chunk id indexed
   * for deletes only (no sorted doc values). An index of another format
   * is rebuilt from PostgreSQL, as one of another model is.
   */
  static final int CURRENT_FORMAT = 2;

  /** An index of the current format. */
  IndexIdentity(String modelId, int dimensions) {
    this(modelId, dimensions, CURRENT_FORMAT);
  }

  IndexIdentity {
    requireNonNull(modelId, "modelId");
    if (modelId.isBlank()) {
      throw new IllegalArgumentException("modelId: blank (expected: the embedding model's id)");
    }
    if (dimensions < 1 || dimensions > 4096) {
      throw new IllegalArgumentException("dimensions: " + dimensions + " (expected: 1..4096)");
    }
  }

  Map<String, String> commitData(long appliedThrough) {
    return Map.of(MODEL, modelId, DIMENSIONS, Integer.toString(dimensions), FORMAT, Integer.toString(format),
        APPLIED_THROUGH, Long.toString(appliedThrough));
  }

  @Override
  public String toString() {
    return modelId + " (" + dimensions + " dimensions, format " + format + ")";
  }

  /** What the latest commit in a directory says; an unreadable index counts as none. */
  record Found(boolean exists, @Nullable IndexIdentity identity, long appliedThrough, Map<String, String> raw) {
    String describe() {
      return identity == null ? "an unknown model" : identity.toString();
    }
  }

  static Found read(Directory directory) {
    try {
      if (!DirectoryReader.indexExists(directory)) {
        return new Found(false, null, 0, Map.of());
      }
      Map<String, String> data = SegmentInfos.readLatestCommit(directory).getUserData();
      String model = data.get(MODEL);
      String dims = data.get(DIMENSIONS);
      String applied = data.get(APPLIED_THROUGH);
      if (model == null || dims == null || applied == null) {
        return new Found(true, null, 0, data);
      }
      // an index written before the format was recorded is format 1
      int format = Integer.parseInt(data.getOrDefault(FORMAT, "1"));
      return new Found(true, new IndexIdentity(model, Integer.parseInt(dims), format), Long.parseLong(applied), data);
    } catch (IOException | RuntimeException e) {
      log.warn("the vector index in {} cannot be read ({}); starting a new one", directory, e.toString());
      return new Found(true, null, 0, Map.of());
    }
  }
}
