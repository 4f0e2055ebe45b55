package dev.cairn.server.vault.items;

import dev.cairn.server.core.Principal;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Told of every change to an item, inside the transaction that makes it: what keeps something
 * in step with items (record indexing now, search enqueueing next) hangs off items here, wired
 * by the composition root, so items never depends on those features. A listener that throws
 * rolls the change back.
 *
 * <p>One change is not told: a new document that is not searchable (CreateItem stores it with
 * one statement, no Java inside its transaction). It has no record values and nothing to index;
 * a listener that must see such items has to make CreateItem take the general path for them.
 */
public interface ItemListener {

  /** What happened to the item. */
  enum What {
    /** A new item (version 1) or a new version of one. */
    NEW_VERSION,
    /** Metadata only (display name, labels, searchable, media type); the version is unchanged. */
    METADATA,
    /** Soft-deleted: gone from reads until undeleted or purged. */
    DELETED,
    UNDELETED
  }

  /**
   * One change.
   *
   * @param actor who made it (the owner, or a grantee writing the owner's item)
   * @param collectionId the record's collection; null for documents
   * @param version the item's current version after the change
   * @param recordJson a record's new canonical JSON (plaintext: never to be stored as it is)
   *     with {@link What#NEW_VERSION}; null otherwise and for documents
   */
  record Change(
      What what,
      Principal actor,
      UUID ownerId,
      UUID itemId,
      @Nullable UUID collectionId,
      int version,
      boolean searchable,
      byte @Nullable [] recordJson) {

    /** The item was just created: version 1 is only ever written by a create. */
    public boolean isNewItem() {
      return what == What.NEW_VERSION && version == 1;
    }
  }

  void itemChanged(DSLContext sql, Change change);
}
