package dev.cairn.server.vault.items;

import com.google.protobuf.Struct;
import dev.cairn.server.access.Item;
import dev.cairn.server.access.Item.Kind;
import dev.cairn.server.db.PageBinding;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The small domain records {@link ItemService} speaks, beside the item itself ({@link Item},
 * which the read rule hands out): proto messages stop at {@link ItemsRpc}, jOOQ records at
 * {@link ItemRepository}.
 */
final class Items {
  private Items() {}

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

  /**
   * The next revision of an item being changed: the columns an update, a new version, a delete
   * or an undelete may change, set as the change goes, then {@link #at} the change's time.
   */
  static final class NextRevision {
    private final Item item;
    String displayName;
    String mediaType;
    Map<String, String> labels;
    boolean searchable;
    int version;
    long sizeBytes;
    byte @Nullable [] sha256;
    @Nullable OffsetDateTime deletedAt;
    @Nullable OffsetDateTime purgeAfter;

    NextRevision(Item item) {
      this.item = item;
      displayName = item.displayName();
      mediaType = item.mediaType();
      labels = item.labels();
      searchable = item.searchable();
      version = item.version();
      sizeBytes = item.sizeBytes();
      sha256 = item.sha256();
      deletedAt = item.deletedAt();
      purgeAfter = item.purgeAfter();
    }

    /** The item as changed, one revision on, updated at {@code now}. */
    Item at(OffsetDateTime now) {
      return new Item(item.id(), item.ownerId(), item.kind(), item.collectionId(), displayName, mediaType, labels,
          searchable, version, sizeBytes, sha256, item.revision() + 1, item.createdAt(), now, deletedAt, purgeAfter);
    }
  }

  /** One page of a list and the token for the next (empty at the end). */
  record Page<T>(List<T> rows, String nextPageToken) {}

  static String name(UUID id) {
    return Item.name(id);
  }

  static String etag(long revision) {
    return Item.etag(revision);
  }
}
