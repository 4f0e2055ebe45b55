package dev.cairn.server.vault.items;

import com.google.protobuf.Struct;
import dev.cairn.server.db.PageBinding;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The small domain records {@link ItemService} speaks: proto messages stop at {@link ItemsRpc},
 * jOOQ records at {@link ItemRepository}.
 */
final class Items {
  private Items() {}

  enum Kind {
    DOCUMENT,
    RECORD
  }

  /** An item's metadata and the facts of its current version. */
  record Item(
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

    String name() {
      return Items.name(id);
    }

    String etag() {
      return Items.etag(revision);
    }

    boolean deleted() {
      return deletedAt != null;
    }
  }

  /** One immutable version. */
  record Version(
      UUID itemId,
      int version,
      UUID authorId,
      String mediaType,
      long sizeBytes,
      byte[] sha256,
      OffsetDateTime createdAt) {}

  /** An item as read, with the version read and, for a full read, its payload (bytes or JSON). */
  record Read(Item item, Version version, byte @Nullable [] payload) {}

  /** What CreateItem asks for. Exactly one of content (documents) and data (records). */
  record NewItem(
      Kind kind,
      @Nullable UUID collectionId,
      String displayName,
      String mediaType,
      Map<String, String> labels,
      boolean searchable,
      byte @Nullable [] content,
      @Nullable Struct data,
      @Nullable UUID requestId) {}

  /** What UpdateItem changes: the mask's paths and their new values. */
  record Changes(
      Set<String> paths,
      String displayName,
      Map<String, String> labels,
      boolean searchable,
      String mediaType,
      byte[] content,
      @Nullable Struct data) {

    static final Set<String> UPDATABLE =
        Set.of("display_name", "labels", "searchable", "media_type", "content", "data");

    boolean has(String path) {
      return paths.contains(path);
    }

    boolean newVersion() {
      return has("content") || has("data");
    }
  }

  /** ListItems filters; bound into page tokens so a token is not replayed under others. */
  record Filter(
      @Nullable Kind kind,
      @Nullable String collection,
      List<String> labels,
      String mediaType,
      boolean showDeleted,
      boolean sharedWithMe) {

    /** Binds a page token to these filters (labels as a set: their order does not change the list). */
    PageBinding bind(PageBinding binding) {
      return binding
          .with("kind", kind)
          .with("collection", collection)
          .with("labels", labels.stream().sorted().toList())
          .with("media_type", mediaType)
          .with("show_deleted", showDeleted)
          .with("shared_with_me", sharedWithMe);
    }
  }

  /** One page of a list and the token for the next (empty at the end). */
  record Page<T>(List<T> rows, String nextPageToken) {}

  static String name(UUID id) {
    return "items/" + id;
  }

  /** Quoted, as HTTP entity tags are; derived from the revision every change bumps. */
  static String etag(long revision) {
    return "\"r" + revision + "\"";
  }
}
