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
import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.jooq.tables.records.UploadsRecord;
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
      UploadsRecord row = new UploadsRecord();
      if (request.target() == null) {
        items.checkCount(sql, owner);
        row.setItemId(vault.ids().get());
        row.setNewItem(true);
        row.setMediaType(request.item().mediaType());
      } else {
        Item target = ownedDocument(sql, caller, request.target(), request.etag());
        row.setItemId(target.id());
        row.setNewItem(false);
        row.setMediaType(request.item().mediaType().isEmpty() ? target.mediaType() : request.item().mediaType());
      }
      row.setId(vault.ids().get());
      row.setOwnerId(owner);
      row.setRequestId(request.requestId());
      row.setDisplayName(request.item().displayName());
      row.setLabels(Jsonb.of(request.item().labels()));
      row.setSearchable(request.item().searchable());
      row.setEtag(request.etag());
      row.setSizeBytes(request.sizeBytes());
      row.setContentSha256(request.sha256());
      row.setBlobId(vault.ids().get());
      row.setCommittedBytes(0L);
      row.setSegmentCount(0);
      row.setCreatedAt(now);
      row.setExpireAt(now.plus(vault.limits().uploadExpiry()));
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
      UploadsRecord row = open(sql, owner, id, true);
      long committed = row.getCommittedBytes();
      if (offset == committed) {
        if (committed + data.length > row.getSizeBytes()) {
          throw CairnException.invalidField("data", "would end at byte " + (committed + data.length)
              + ", past the upload's size_bytes " + row.getSizeBytes());
        }
        store.writeSegment(sql, owner, row.getItemId(), row.getBlobId(), row.getSegmentCount(), data);
        row.setCommittedBytes(committed + data.length);
        row.setSegmentCount(row.getSegmentCount() + 1);
        row.setLastOffset(offset);
        row.setLastSha256(sha);
        repository.store(sql, row);
      } else if (!isRetryOfLast(row, offset, data.length, sha)) {
        throw offsetMismatch(id, offset, committed);
      }
      return toUpload(row);
    });
  }

  private static boolean isRetryOfLast(UploadsRecord row, long offset, int length, byte[] sha) {
    return row.getLastOffset() != null && row.getLastOffset() == offset
        && offset + length == row.getCommittedBytes()
        && MessageDigest.isEqual(sha, row.getLastSha256());
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
      UploadsRecord row = open(sql, owner, id, true);
      store.deleteUnattachedBlob(sql, owner, row.getBlobId());
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
    UploadsRecord seen = vault.database().transaction(caller, sql -> live(sql, owner, id, false));
    if (seen.getCompletedVersion() != null) {
      return vault.database().transaction(caller, sql -> completed(sql, caller, live(sql, owner, id, false)));
    }
    checkSize(seen);
    ContentStore.Blob staged = store.measure(caller.principal(), owner, seen.getItemId(), seen.getBlobId(), seen.getSegmentCount());
    if (seen.getContentSha256() != null && !MessageDigest.isEqual(seen.getContentSha256(), staged.sha256())) {
      throw CairnException.invalidField("upload.content_sha256", "does not match the SHA-256 of the bytes appended");
    }
    return items.limitedWrite(caller, () -> vault.database().transaction(caller, sql -> {
      UploadsRecord row = live(sql, owner, id, true);
      if (row.getCompletedVersion() != null) {
        return completed(sql, caller, row); // a concurrent complete won
      }
      if (!row.getSegmentCount().equals(seen.getSegmentCount())) {
        throw CairnException.conflict("uploads/" + id + " changed while completing; retry");
      }
      ContentStore.Blob blob = staged;
      if (blob.segmentCount() == 0) { // an empty document still has one (empty) segment
        store.writeSegment(sql, owner, row.getItemId(), row.getBlobId(), 0, new byte[0]);
        blob = new ContentStore.Blob(blob.id(), 1, 0, blob.sha256());
      }
      var template = new NewItem(Kind.DOCUMENT, null, row.getDisplayName(), row.getMediaType(),
          Jsonb.stringMap(row.getLabels()), row.getSearchable(), null, null, null);
      var plan = new ItemService.UploadPlan(row.getNewItem() ? null : row.getItemId(), template, row.getEtag(),
          row.getSizeBytes(), row.getContentSha256());
      Item item = items.commitStaged(sql, caller, row.getItemId(), row.getNewItem(), plan, row.getMediaType(), blob);
      row.setCompletedVersion(item.version());
      repository.store(sql, row);
      return new Completed(item, toUpload(row));
    }));
  }

  private static void checkSize(UploadsRecord row) {
    if (row.getCommittedBytes() != (long) row.getSizeBytes()) {
      throw CairnException.invalidField("upload.size_bytes",
          row.getSizeBytes() + " declared, " + row.getCommittedBytes() + " bytes appended");
    }
  }

  private Completed completed(DSLContext sql, Caller caller, UploadsRecord row) {
    Access access = vault.access().item(sql, caller, row.getItemId(), Role.READ, true, false);
    return new Completed(access.item(), toUpload(row));
  }

  // ---------------------------------------------------------------- rows

  /** The caller's unexpired upload (completed ones too); anything else is NOT_FOUND. */
  private UploadsRecord live(DSLContext sql, UUID owner, UUID id, boolean lock) {
    UploadsRecord row = repository.find(sql, owner, id, lock).orElseThrow(() -> CairnException.notFound("uploads/" + id));
    if (!row.getExpireAt().isAfter(now())) {
      throw CairnException.notFound("uploads/" + id);
    }
    return row;
  }

  private UploadsRecord open(DSLContext sql, UUID owner, UUID id, boolean lock) {
    UploadsRecord row = live(sql, owner, id, lock);
    if (row.getCompletedVersion() != null) {
      throw CairnException.failedPrecondition("uploads/" + id + " is already completed");
    }
    return row;
  }

  private static Upload toUpload(UploadsRecord r) {
    return new Upload(
        r.getId(), r.getCompletedVersion() == null ? null : r.getItemId(), r.getSizeBytes(), r.getContentSha256(),
        r.getCommittedBytes(), r.getCompletedVersion() != null, r.getDisplayName(), r.getMediaType(),
        Jsonb.stringMap(r.getLabels()), r.getSearchable(), r.getNewItem() ? null : r.getItemId(), r.getEtag(),
        r.getCreatedAt(), r.getExpireAt());
  }

  private OffsetDateTime now() {
    return Now.of(vault.clock());
  }
}
