package dev.cairn.server.vault.items;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.access.Item;
import dev.cairn.server.access.Item.Kind;
import dev.cairn.server.access.VaultAccess.Access;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.core.Now;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.items.Items.NewItem;
import dev.cairn.type.v1.ErrorReason;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * The rules of resumable uploads: an upload row per upload, its bytes staged as encrypted
 * segments of one blob (one per append, each append one short transaction under the row's lock,
 * so racing appends at one offset have one winner), and completion in one transaction that
 * stores the item through {@link ItemService}. Only the creator ever sees an upload; an expired
 * one is NOT_FOUND at once and purged with its segments by the item purge job.
 */
final class ResumableUploads {
  private final VaultContext vault;
  private final ItemService items;
  private final ContentStore store;
  private final UploadRepository repository = new UploadRepository();

  ResumableUploads(VaultContext vault, ItemService items) {
    this.vault = requireNonNull(vault, "vault");
    this.items = requireNonNull(items, "items");
    this.store = items.store();
  }

  /** What CreateUpload asks for; {@code target} set for a new version of an owned item. */
  record Request(
      @Nullable UUID target, NewItem item, String etag, long sizeBytes, byte @Nullable [] sha256, @Nullable UUID requestId) {}

  /** An upload as its owner sees it. */
  record Upload(
      UUID id, @Nullable UUID resultItem, long sizeBytes, byte @Nullable [] sha256, long committedBytes,
      boolean completed, String displayName, String mediaType, Map<String, String> labels, boolean searchable,
      @Nullable UUID target, String etag, OffsetDateTime createdAt, OffsetDateTime expireAt) {}

  /** A completed upload and the item it stored. */
  record Completed(Item item, Upload upload) {}

  // ---------------------------------------------------------------- create

  Upload create(Caller caller, Request request) {
    UUID owner = caller.requireUserId();
    items.checkItemSize(request.sizeBytes());
    if (request.target() == null) {
      checkNewDocument(request.item());
    }
    return vault.database().transaction(caller, sql -> {
      if (request.requestId() != null) {
        var first = repository.findByRequestId(sql, owner, request.requestId());
        if (first.isPresent()) {
          return toUpload(first.get()); // a retry: the upload the first call made
        }
      }
      OffsetDateTime now = now();
      long max = vault.limits().maxOpenUploads();
      if (repository.lockAndCountOpen(sql, owner, now) >= max) {
        throw CairnException.limitExceeded("max_open_uploads", "you already have " + max + " open uploads (the limit); complete or cancel one");
      }
      UUID itemId;
      String mediaType;
      if (request.target() == null) {
        items.checkCount(sql, owner);
        itemId = vault.ids().get();
        mediaType = request.item().mediaType();
      } else {
        Item target = ownedDocument(sql, caller, request.target(), request.etag());
        itemId = target.id();
        mediaType = request.item().mediaType().isEmpty() ? target.mediaType() : request.item().mediaType();
      }
      var row = new UploadRepository.Row(
          vault.ids().get(), owner, request.requestId(), itemId, request.target() == null,
          request.item().displayName(), mediaType, request.item().labels(), request.item().searchable(),
          request.etag(), request.sizeBytes(), request.sha256(), vault.ids().get(), 0L, 0, null, null, null,
          now, now.plus(vault.limits().uploadExpiry()));
      return repository.insert(sql, row).map(ResumableUploads::toUpload)
          .orElseGet(() -> toUpload(repository.findByRequestId(sql, owner, requireNonNull(request.requestId()))
              .orElseThrow(() -> CairnException.conflict("a concurrent CreateUpload with this request_id did not finish; retry"))));
    });
  }

  private static void checkNewDocument(NewItem item) {
    if (item.kind() != Kind.DOCUMENT) {
      throw CairnException.invalidField("upload.item.kind", "uploads store documents (expected: KIND_DOCUMENT)");
    }
    if (item.mediaType().isEmpty()) {
      throw CairnException.invalidField("upload.item.media_type", "required for a document (e.g. application/pdf)");
    }
    if (item.collectionId() != null) {
      throw CairnException.invalidField("upload.item.collection", "documents belong to no collection (expected: empty)");
    }
  }

  /** The caller's own document: a grantee is PERMISSION_DENIED (UploadItem serves them), others NOT_FOUND. */
  private Item ownedDocument(DSLContext sql, Caller caller, UUID id, String etag) {
    Access access = vault.access().item(sql, caller, id, Role.READ, false, false);
    if (!access.isOwner()) {
      throw CairnException.permissionDenied("resumable uploads add versions to your own items only; use UploadItem for " + Items.name(id));
    }
    ItemService.checkEtag(access.item(), etag);
    if (access.item().kind() != Kind.DOCUMENT) {
      throw CairnException.failedPrecondition(Items.name(id) + " is a record; change its data with UpdateItem");
    }
    return access.item();
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends {@code data} at {@code offset} as the blob's next segment. The row lock orders
   * appends: of two racing at one offset, the second sees the first's commit and fails (or, if it
   * carries the very same bytes, is recognised as its retry and answers the same state).
   */
  Upload append(Caller caller, UUID id, long offset, byte[] data) {
    UUID owner = caller.requireUserId();
    if (data.length == 0 || data.length > ContentStore.SEGMENT_BYTES) {
      throw CairnException.invalidField("data", data.length + " bytes (expected: 1.." + ContentStore.SEGMENT_BYTES + ")");
    }
    byte[] sha = ContentStore.sha256().digest(data);
    return vault.database().transaction(caller, sql -> {
      UploadRepository.Row row = open(sql, owner, id, true);
      long committed = row.committedBytes();
      if (offset == committed) {
        if (committed + data.length > row.sizeBytes()) {
          throw CairnException.invalidField("data", "would end at byte " + (committed + data.length)
              + ", past the upload's size_bytes " + row.sizeBytes());
        }
        store.writeSegment(sql, owner, row.itemId(), row.blobId(), row.segmentCount(), data);
        var appended = new UploadRepository.Row(
            row.id(), row.ownerId(), row.requestId(), row.itemId(), row.newItem(), row.displayName(),
            row.mediaType(), row.labels(), row.searchable(), row.etag(), row.sizeBytes(), row.contentSha256(),
            row.blobId(), committed + data.length, row.segmentCount() + 1, offset, sha, row.completedVersion(),
            row.createdAt(), row.expireAt());
        repository.storeAppend(sql, appended);
        return toUpload(appended);
      } else if (!isRetryOfLast(row, offset, data.length, sha)) {
        throw offsetMismatch(id, offset, committed);
      }
      return toUpload(row);
    });
  }

  private static boolean isRetryOfLast(UploadRepository.Row row, long offset, int length, byte[] sha) {
    return row.lastOffset() != null && row.lastOffset() == offset
        && offset + length == row.committedBytes()
        && MessageDigest.isEqual(sha, row.lastSha256());
  }

  private static CairnException offsetMismatch(UUID id, long offset, long committed) {
    return new CairnException(
        CairnException.Kind.FAILED_PRECONDITION,
        ErrorReason.ERROR_REASON_FAILED_PRECONDITION,
        "offset: " + offset + " (expected: " + committed + ", the bytes uploads/" + id + " has committed)",
        Map.of("expected_offset", Long.toString(committed)),
        List.of());
  }

  // ---------------------------------------------------------------- get, cancel

  Upload get(Caller caller, UUID id) {
    UUID owner = caller.requireUserId();
    return vault.database().transaction(caller, sql -> toUpload(live(sql, owner, id, false)));
  }

  void cancel(Caller caller, UUID id) {
    UUID owner = caller.requireUserId();
    vault.database().transaction(caller, sql -> {
      UploadRepository.Row row = open(sql, owner, id, true);
      store.deleteUnattachedBlob(sql, owner, row.blobId());
      repository.delete(sql, owner, id);
      return null;
    });
  }

  // ---------------------------------------------------------------- complete

  /**
   * Completes an upload: checks its size, reads its staged segments back (outside any
   * transaction) for the SHA-256, then in one transaction re-checks the row under its lock and
   * stores the item. A repeated call finds the row completed and returns the item again.
   */
  Completed complete(Caller caller, UUID id) {
    UUID owner = caller.requireUserId();
    UploadRepository.Row seen = vault.database().transaction(caller, sql -> live(sql, owner, id, false));
    if (seen.completed()) {
      return vault.database().transaction(caller, sql -> completed(sql, caller, live(sql, owner, id, false)));
    }
    checkSize(seen);
    ContentStore.Blob staged = store.measure(caller.principal(), owner, seen.itemId(), seen.blobId(), seen.segmentCount());
    if (seen.contentSha256() != null && !MessageDigest.isEqual(seen.contentSha256(), staged.sha256())) {
      throw CairnException.invalidField("upload.content_sha256", "does not match the SHA-256 of the bytes appended");
    }
    return items.limitedWrite(caller, () -> vault.database().transaction(caller, sql -> {
      UploadRepository.Row row = live(sql, owner, id, true);
      if (row.completed()) {
        return completed(sql, caller, row); // a concurrent complete won
      }
      if (row.segmentCount() != seen.segmentCount()) {
        throw CairnException.conflict("uploads/" + id + " changed while completing; retry");
      }
      ContentStore.Blob blob = staged;
      if (blob.segmentCount() == 0) { // an empty document still has one (empty) segment
        store.writeSegment(sql, owner, row.itemId(), row.blobId(), 0, new byte[0]);
        blob = new ContentStore.Blob(blob.id(), 1, 0, blob.sha256());
      }
      var template = new NewItem(Kind.DOCUMENT, null, row.displayName(), row.mediaType(),
          row.labels(), row.searchable(), null, null, null);
      var plan = new ItemService.UploadPlan(row.newItem() ? null : row.itemId(), template, row.etag(),
          row.sizeBytes(), row.contentSha256());
      Item item = items.commitStaged(sql, caller, row.itemId(), row.newItem(), plan, row.mediaType(), blob);
      repository.storeCompleted(sql, row, item.version());
      return new Completed(item, toUpload(row, item.version()));
    }));
  }

  private static void checkSize(UploadRepository.Row row) {
    if (row.committedBytes() != row.sizeBytes()) {
      throw CairnException.invalidField("upload.size_bytes",
          row.sizeBytes() + " declared, " + row.committedBytes() + " bytes appended");
    }
  }

  private Completed completed(DSLContext sql, Caller caller, UploadRepository.Row row) {
    Access access = vault.access().item(sql, caller, row.itemId(), Role.READ, true, false);
    return new Completed(access.item(), toUpload(row));
  }

  // ---------------------------------------------------------------- rows

  /** The caller's unexpired upload (completed ones too); anything else is NOT_FOUND. */
  private UploadRepository.Row live(DSLContext sql, UUID owner, UUID id, boolean lock) {
    UploadRepository.Row row = repository.find(sql, owner, id, lock).orElseThrow(() -> CairnException.notFound("uploads/" + id));
    if (!row.expireAt().isAfter(now())) {
      throw CairnException.notFound("uploads/" + id);
    }
    return row;
  }

  private UploadRepository.Row open(DSLContext sql, UUID owner, UUID id, boolean lock) {
    UploadRepository.Row row = live(sql, owner, id, lock);
    if (row.completed()) {
      throw CairnException.failedPrecondition("uploads/" + id + " is already completed");
    }
    return row;
  }

  private static Upload toUpload(UploadRepository.Row r) {
    return toUpload(r, r.completedVersion());
  }

  /** The upload as its owner sees it, completed with {@code completedVersion} when that is set. */
  private static Upload toUpload(UploadRepository.Row r, @Nullable Integer completedVersion) {
    boolean completed = completedVersion != null;
    return new Upload(
        r.id(), completed ? r.itemId() : null, r.sizeBytes(), r.contentSha256(), r.committedBytes(), completed,
        r.displayName(), r.mediaType(), r.labels(), r.searchable(), r.newItem() ? null : r.itemId(), r.etag(),
        r.createdAt(), r.expireAt());
  }

  private OffsetDateTime now() {
    return Now.of(vault.clock());
  }
}
