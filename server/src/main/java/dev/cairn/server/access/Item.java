package dev.cairn.server.access;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An item's metadata and the facts of its current version: what {@link VaultAccess} hands to
 * the feature that may act on it, and what the item RPCs speak (jOOQ rows stop at the
 * repositories).
 */
public record Item(
    UUID id,
    UUID ownerId,
    Kind kind,
    @Nullable UUID collectionId,
    String displayName,
    String mediaType,
    Map<String, String> labels,
    boolean searchable,
    int version,
    long sizeBytes,
    byte @Nullable [] sha256,
    long revision,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt,
    @Nullable OffsetDateTime deletedAt,
    @Nullable OffsetDateTime purgeAfter) {

  public enum Kind {
    DOCUMENT,
    RECORD
  }

  public static String name(UUID id) {
    return "items/" + id;
  }

  /** Quoted, as HTTP entity tags are; derived from the revision every change bumps. */
  public static String etag(long revision) {
    return "\"r" + revision + "\"";
  }

  public String name() {
    return name(id);
  }

  public String etag() {
    return etag(revision);
  }

  public boolean deleted() {
    return deletedAt != null;
  }
}
