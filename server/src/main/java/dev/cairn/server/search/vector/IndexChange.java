package dev.cairn.server.search.vector;

import static java.util.Objects.requireNonNull;

import java.util.UUID;

/** One change to the chunk vectors, as read from PostgreSQL's change sequence. */
public sealed interface IndexChange {

  /** A chunk's vector was written (new, or replacing the chunk's previous one). */
  record Upsert(UUID chunkId, UUID ownerId, UUID itemId, float[] vector) implements IndexChange {
    public Upsert {
      requireNonNull(chunkId, "chunkId");
      requireNonNull(ownerId, "ownerId");
      requireNonNull(itemId, "itemId");
      requireNonNull(vector, "vector");
    }
  }

  record DeleteChunk(UUID chunkId) implements IndexChange {
    public DeleteChunk {
      requireNonNull(chunkId, "chunkId");
    }
  }

  /** Every chunk of an item (it was deleted, re-versioned or made unsearchable). */
  record DeleteItem(UUID itemId) implements IndexChange {
    public DeleteItem {
      requireNonNull(itemId, "itemId");
    }
  }

  /** Every chunk of an owner (the user was deleted). */
  record DeleteOwner(UUID ownerId) implements IndexChange {
    public DeleteOwner {
      requireNonNull(ownerId, "ownerId");
    }
  }
}
