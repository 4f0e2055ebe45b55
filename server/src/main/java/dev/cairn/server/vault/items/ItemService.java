package dev.cairn.server.vault.items;

import dev.cairn.server.content.ContentStore;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.Struct;
import com.google.rpc.BadRequest;
import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.StatementBatcher;
import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PagePosition;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.content.StoredVersion;
import dev.cairn.server.core.Now;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Principal;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog.Entry;
import dev.cairn.server.access.Item;
import dev.cairn.server.access.Item.Kind;
import dev.cairn.server.access.VaultAccess.Access;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.items.ItemRepository.Content;
import dev.cairn.server.vault.items.Items.Changes;
import dev.cairn.server.vault.items.Items.Filter;
import dev.cairn.server.vault.items.Items.NewItem;
import dev.cairn.server.vault.items.Items.NextRevision;
import dev.cairn.server.vault.items.Items.Page;
import dev.cairn.server.vault.items.Items.Read;
import dev.cairn.server.vault.items.Items.Version;
import dev.cairn.type.v1.ErrorReason;
import io.grpc.Context;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * The rules of the item RPCs: who may do what, limits, versions and etags, idempotent
 * creates, soft delete. One transaction per call (uploads: one short one at the end), with
 * the audit event appended inside it.
 */
final class ItemService {
  /** Largest record, as canonical JSON. */
  static final int RECORD_MAX_BYTES = 1024 * 1024;
  static final String RECORD_MEDIA_TYPE = "application/json";

  private final VaultContext vault;
  private final ContentStore store;
  private final RecordValidator records;
  private final List<ItemListener> listeners;
  private final ItemRepository repository = new ItemRepository();
  private final WriteLimiter limiter;
  /**
   * GetItem's statement, concurrent calls sharing round trips and commits: up to 16 per round,
   * with as many rounds at the database at once as this machine has cores (at least 2).
   */
  private final StatementBatcher<ItemRepository.ItemRead> reads;

  ItemService(VaultContext vault, RecordValidator records, List<ItemListener> listeners) {
    this.vault = requireNonNull(vault, "vault");
    this.records = requireNonNull(records, "records");
    this.listeners = List.copyOf(listeners);
    this.store = vault.contentStore();
    this.limiter = new WriteLimiter(vault.limits().writesPerMinute(), vault.clock());
    this.reads = vault.database().batcher("read_item", ItemRepository.READ_ITEM, ItemRepository.READ_ITEM_PARAMETERS, 16,
        Math.max(2, Runtime.getRuntime().availableProcessors()));
  }

  ContentStore store() {
    return store;
  }

  long maxItemBytes() {
    return vault.limits().maxItemBytes();
  }

  // ---------------------------------------------------------------- create

  Item create(Caller caller, NewItem item) {
    UUID owner = caller.requireUserId();
    checkNew(item);
    if (item.kind() == Kind.DOCUMENT && !item.searchable()) {
      return limiter.write(owner, () -> createDocument(caller, owner, item));
    }
    return limiter.write(owner, () -> vault.database().transaction(caller, sql -> createIn(sql, caller, owner, item)));
  }

  /**
   * A new document that is not searchable, in one round trip ({@code cairn.create_document},
   * V29): encrypted here first, then item, segments, version 1 and the audit event are written
   * by one statement that commits with it. No listener is told: a new item that is not
   * searchable is nothing to search and no record (see {@link ItemListener}). Should the owner's
   * key row have changed since the content was encrypted, nothing is written and it is
   * encrypted again under the key read anew.
   */
  private Item createDocument(Caller caller, UUID owner, NewItem item) {
    byte[] content = requireNonNull(item.content());
    UUID id = vault.ids().get();
    var facts = new Content(item.mediaType(), content.length, ContentStore.sha256().digest(content));
    var details = new TreeMap<String, String>(Map.of("kind", Kind.DOCUMENT.name(), "version", "1"));
    sensitiveName(item.displayName()).forEach((k, v) -> details.put(k + "_hmac", vault.audit().hmac(v)));
    String auditDetails = Jsonb.text(Jsonb.of(details));
    for (int attempt = 0; ; attempt++) {
      ContentStore.Sealed sealed = store.seal(caller.principal(), owner, id, content);
      var done = repository.createDocument(
          vault.database(), caller.principal(), id, item, facts, sealed, now(), auditDetails, caller.requestId());
      switch (done.outcome()) {
        case "CREATED" -> {
          vault.audit().queuedBySql();
          return requireNonNull(done.item());
        }
        case "REPLAY" -> {
          return requireNonNull(done.item()); // a retry: the item the first call made
        }
        case "CONFLICT" -> throw CairnException.conflict("a concurrent create with this request_id did not finish; retry");
        case "STALE_KEY" -> {
          store.forgetKey(owner);
          if (attempt > 0) {
            throw CairnException.conflict("the owner's data key changed during the create; retry");
          }
        }
        default -> throw new IllegalStateException("create_document answered " + done.outcome());
      }
    }
  }

  private void checkNew(NewItem item) {
    if (item.kind() == Kind.DOCUMENT) {
      if (item.mediaType().isEmpty()) {
        throw CairnException.invalidField("item.media_type", "required for a document (e.g. application/pdf)");
      }
      if (item.collectionId() != null) {
        throw CairnException.invalidField("item.collection", "documents belong to no collection (expected: empty)");
      }
      checkInlineSize(requireNonNull(item.content()).length);
    } else if (item.collectionId() == null) {
      throw CairnException.invalidField("item.collection", "required for a record (expected: collections/{collection})");
    }
  }

  private void checkInlineSize(long size) {
    long inline = vault.limits().inlineMaxBytes();
    if (size > inline) {
      throw CairnException.limitExceeded(
          "inline_max_bytes", "inline content of " + size + " bytes is over " + inline + " bytes; use UploadItem");
    }
    checkItemSize(size);
  }

  void checkItemSize(long size) {
    long max = vault.limits().maxItemBytes();
    if (size > max) {
      throw CairnException.limitExceeded("max_item_bytes", "document of " + size + " bytes is over " + max + " bytes");
    }
  }

  private Item createIn(DSLContext sql, Caller caller, UUID owner, NewItem item) {
    if (item.requestId() != null) {
      var first = repository.findByRequestId(sql, owner, item.requestId());
      if (first.isPresent()) {
        return first.get(); // a retry: the item the first call made
      }
    }
    UUID id = vault.ids().get();
    OffsetDateTime now = now();
    Item created;
    if (item.kind() == Kind.DOCUMENT) {
      byte[] content = requireNonNull(item.content());
      var facts = new Content(item.mediaType(), content.length, ContentStore.sha256().digest(content));
      Optional<Item> inserted = repository.insertItem(sql, id, owner, item, facts, now);
      if (inserted.isEmpty()) {
        return replay(sql, owner, item);
      }
      created = inserted.get();
      ContentStore.Blob blob = store.writeSmall(sql, owner, id, content);
      repository.insertVersion(sql, id, 1, owner, owner, facts, blob, null, now);
      changed(sql, ItemListener.What.NEW_VERSION, caller, created, null);
    } else {
      UUID collection = requireNonNull(item.collectionId());
      byte[] json = checkRecord(sql, caller, owner, collection, requireNonNull(item.data()));
      var facts = new Content(RECORD_MEDIA_TYPE, json.length, ContentStore.sha256().digest(json));
      Optional<Item> inserted = repository.insertItem(sql, id, owner, item, facts, now);
      if (inserted.isEmpty()) {
        return replay(sql, owner, item);
      }
      created = inserted.get();
      repository.insertVersion(sql, id, 1, owner, owner, facts, null, store.encryptRecord(sql, owner, id, 1, json), now);
      changed(sql, ItemListener.What.NEW_VERSION, caller, created, json);
    }
    // the items-per-owner limit is enforced at commit by the item-count trigger (V13)
    audit(sql, caller, created, AuditAction.ITEM_CREATE, null, Map.of("kind", item.kind().name(), "version", "1"),
        sensitiveName(item.displayName()));
    return created;
  }

  /** The item an earlier call with the same request_id created (an insert that conflicted). */
  private Item replay(DSLContext sql, UUID owner, NewItem item) {
    return repository.findByRequestId(sql, owner, requireNonNull(item.requestId()))
        .orElseThrow(() -> CairnException.conflict("a concurrent create with this request_id did not finish; retry"));
  }

  /** An early answer before an upload's bytes are stored; the commit checks again, exactly. */
  void checkCount(DSLContext sql, UUID owner) {
    long max = vault.limits().maxItemsPerUser();
    if (repository.heldItems(sql, owner) >= max) {
      throw CairnException.limitExceeded("max_items_per_user", "you already hold " + max + " items (the limit)");
    }
  }

  private byte[] checkRecord(DSLContext sql, Caller caller, UUID owner, UUID collection, Struct data) {
    if (!repository.ownsCollection(sql, owner, collection)) {
      throw CairnException.notFound("collections/" + collection);
    }
    byte[] json = records.canonicalJson(sql, caller.principal(), owner, collection, data);
    if (json.length > RECORD_MAX_BYTES) {
      throw new CairnException(
          CairnException.Kind.INVALID_ARGUMENT,
          ErrorReason.ERROR_REASON_LIMIT_EXCEEDED,
          "item.data: " + json.length + " bytes of JSON (expected: at most " + RECORD_MAX_BYTES + ")",
          Map.of("limit", "record_max_bytes"),
          List.of(BadRequest.FieldViolation.newBuilder()
              .setField("item.data")
              .setDescription("at most " + RECORD_MAX_BYTES + " bytes as canonical JSON")
              .build()));
    }
    return json;
  }

  // ---------------------------------------------------------------- upload

  /** What an upload stream's metadata asks for; {@code itemId} set for a new version. */
  record UploadPlan(
      @Nullable UUID itemId,
      NewItem item,
      String etag,
      long sizeBytes,
      byte @Nullable [] sha256) {}

  /**
   * Where an upload's content goes: a new item's id, or the existing item (a new version).
   * {@code replay} is the item an earlier upload with the same request_id stored: the stream is
   * then consumed and discarded.
   */
  record UploadTarget(UUID owner, UUID itemId, @Nullable Item existing, @Nullable Item replay, String mediaType) {}

  /** Checks an upload before any content is stored: rights, etag, limits. */
  UploadTarget beginUpload(Caller caller, UploadPlan plan) {
    UUID user = caller.requireUserId();
    checkItemSize(plan.sizeBytes());
    if (plan.itemId() == null) {
      NewItem item = plan.item();
      if (item.kind() != Kind.DOCUMENT) {
        throw CairnException.invalidField("metadata.item.kind", "UploadItem stores documents (expected: KIND_DOCUMENT)");
      }
      if (item.mediaType().isEmpty()) {
        throw CairnException.invalidField("metadata.item.media_type", "required for a document (e.g. application/pdf)");
      }
      Item replay = vault.database().transaction(caller, sql -> {
        Item first = item.requestId() == null ? null : repository.findByRequestId(sql, user, item.requestId()).orElse(null);
        if (first == null) {
          checkCount(sql, user);
        }
        return first;
      });
      if (replay == null) {
        limiter.take(user);
      }
      return new UploadTarget(user, vault.ids().get(), null, replay, item.mediaType());
    }
    UUID id = plan.itemId();
    Item existing = vault.database().transaction(caller, sql -> {
      Access access = writable(sql, caller, id, false);
      checkEtag(access.item(), plan.etag());
      if (access.item().kind() != Kind.DOCUMENT) {
        throw CairnException.failedPrecondition(Items.name(id) + " is a record; change its data with UpdateItem");
      }
      return access.item();
    });
    limiter.take(user);
    String mediaType = plan.item().mediaType().isEmpty() ? existing.mediaType() : plan.item().mediaType();
    return new UploadTarget(existing.ownerId(), id, existing, null, mediaType);
  }

  /**
   * Stores a finished upload in one short transaction: the new item (or, under a row lock and
   * an etag check, the new version), its version row and the audit event.
   */
  Item finishUpload(Caller caller, UploadTarget target, UploadPlan plan, ContentStore.Blob blob) {
    try {
      if (plan.sizeBytes() > 0 && plan.sizeBytes() != blob.sizeBytes()) {
        throw CairnException.invalidField(
            "metadata.size_bytes", plan.sizeBytes() + " announced, " + blob.sizeBytes() + " bytes sent");
      }
      if (plan.sha256() != null && !java.security.MessageDigest.isEqual(plan.sha256(), blob.sha256())) {
        throw CairnException.invalidField("metadata.content_sha256", "does not match the SHA-256 of the bytes sent");
      }
      return vault.database().transaction(caller, sql -> target.existing() == null
          ? commitNewItem(sql, caller, target, plan, blob)
          : commitNewVersion(sql, caller, target, plan, blob));
    } catch (RuntimeException | Error e) {
      limiter.giveBack(caller.requireUserId());
      throw e;
    }
  }

  private Item commitNewItem(DSLContext sql, Caller caller, UploadTarget target, UploadPlan plan, ContentStore.Blob blob) {
    UUID owner = target.owner();
    NewItem item = plan.item();
    if (item.requestId() != null) {
      var first = repository.findByRequestId(sql, owner, item.requestId());
      if (first.isPresent()) {
        store.deleteBlob(sql, owner, blob.id()); // a retry: drop our copy
        return first.get();
      }
    }
    OffsetDateTime now = now();
    var facts = new Content(target.mediaType(), blob.sizeBytes(), blob.sha256());
    Optional<Item> inserted = repository.insertItem(sql, target.itemId(), owner, item, facts, now);
    if (inserted.isEmpty()) {
      store.deleteBlob(sql, owner, blob.id());
      return replay(sql, owner, item);
    }
    Item created = inserted.get();
    repository.insertVersion(sql, target.itemId(), 1, owner, owner, facts, blob, null, now);
    changed(sql, ItemListener.What.NEW_VERSION, caller, created, null);
    audit(sql, caller, created, AuditAction.ITEM_CREATE, null,
        Map.of("kind", Kind.DOCUMENT.name(), "version", "1", "size_bytes", Long.toString(blob.sizeBytes())),
        sensitiveName(item.displayName()));
    return created;
  }

  private Item commitNewVersion(DSLContext sql, Caller caller, UploadTarget target, UploadPlan plan, ContentStore.Blob blob) {
    // locks the item row: concurrent writers queue here, so each version number has one writer
    Access access = writable(sql, caller, target.itemId(), true);
    Item item = access.item();
    checkEtag(item, plan.etag());
    OffsetDateTime now = now();
    int version = item.version() + 1;
    var facts = new Content(target.mediaType(), blob.sizeBytes(), blob.sha256());
    repository.insertVersion(sql, item.id(), version, item.ownerId(), caller.requireUserId(), facts, blob, null, now);
    var next = new NextRevision(item);
    next.version = version;
    next.mediaType = facts.mediaType();
    next.sizeBytes = facts.sizeBytes();
    next.sha256 = facts.sha256();
    Item updated = repository.store(sql, next.at(now));
    changed(sql, ItemListener.What.NEW_VERSION, caller, updated, null);
    audit(sql, caller, updated, AuditAction.ITEM_UPDATE, access,
        Map.of("fields", "content", "version", Integer.toString(version), "size_bytes", Long.toString(blob.sizeBytes())),
        Map.of());
    return updated;
  }

  /**
   * Stores a resumable upload's staged blob as a new item ({@code newItem}) or as the next
   * version of {@code itemId}, in the caller's transaction, with the same version rows, listener
   * calls (search) and audit events as UploadItem.
   */
  Item commitStaged(DSLContext sql, Caller caller, UUID itemId, boolean newItem, UploadPlan plan, String mediaType,
      ContentStore.Blob blob) {
    var target = new UploadTarget(caller.requireUserId(), itemId, null, null, mediaType);
    return newItem ? commitNewItem(sql, caller, target, plan, blob) : commitNewVersion(sql, caller, target, plan, blob);
  }

  /** Runs {@code write} under the per-user write rate (its token given back if it fails). */
  <T> T limitedWrite(Caller caller, java.util.function.Supplier<T> write) {
    return limiter.write(caller.requireUserId(), write);
  }

  /**
   * Removes the segments of an upload that will not be stored. Runs as the owner: a grantee
   * writing a new version may not delete the owner's rows, yet a cancelled upload must leave
   * nothing. Only a blob no version points at goes (ours: its id was made for this upload).
   */
  void discardBlob(UUID owner, UUID blob) {
    // outside the call's context: a cancelled call must not cancel its own clean-up
    Context.ROOT.run(() -> vault.database().transaction(Principal.system(owner), sql -> {
      store.deleteUnattachedBlob(sql, owner, blob);
      return null;
    }));
  }

  void giveBackWrite(Caller caller) {
    limiter.giveBack(caller.requireUserId());
  }

  // ---------------------------------------------------------------- reads

  /**
   * GetItem: one statement (cairn.read_item, V25) does the access check, reads the version,
   * content and key and queues the audit event, in one round trip; only the decryption is here.
   */
  Read get(Caller caller, UUID id, long version, boolean full) {
    if (!caller.isUser()) {
      throw vault.access().refused(caller, id);
    }
    var read = repository.read(reads, caller.principal(), id, version, full,
        vault.limits().inlineMaxBytes(), AuditAction.ITEM_READ, now(), caller.requestId());
    Item item = read.item();
    switch (read.outcome()) {
      case "OK" -> { }
      case "MISSING" -> throw vault.access().refused(caller, id);
      case "GONE", "NO_CONTENT" -> throw CairnException.notFound(Items.name(id));
      case "NO_VERSION" -> throw CairnException.notFound(Items.name(id) + "/versions/" + version);
      case "TOO_LARGE" -> throw CairnException.failedPrecondition(
          Items.name(id) + " is " + requireNonNull(read.version()).sizeBytes() + " bytes; use DownloadItem");
      case "NO_KEY" -> throw CairnException.failedPrecondition("the owner's data key no longer exists");
      default -> throw new IllegalStateException("read_item answered " + read.outcome());
    }
    vault.audit().queuedBySql();
    StoredVersion row = requireNonNull(read.version());
    byte[] payload = null;
    if (full) {
      payload = requireNonNull(item).kind() == Kind.DOCUMENT
          ? store.openSmall(item.ownerId(), row, read.segments(), requireNonNull(read.key()))
          : store.openRecord(item.ownerId(), row, requireNonNull(read.key()));
    }
    return new Read(requireNonNull(item), ItemRepository.toVersion(row), payload);
  }

  /** What a download sends: the item, the version row, and for records their JSON. */
  record Download(Item item, StoredVersion version, byte @Nullable [] recordJson) {}

  /** Authorises and audits a download; the content then streams in `chunk` messages, one per stored segment. */
  Download openDownload(Caller caller, UUID id, long version) {
    return vault.database().transaction(caller, sql -> {
      Access access = vault.access().item(sql, caller, id, Role.READ, false, false);
      Item item = access.item();
      StoredVersion row = versionRow(sql, item, version);
      byte[] json = item.kind() == Kind.RECORD ? store.decryptRecord(sql, item.ownerId(), row) : null;
      audit(sql, caller, item, AuditAction.ITEM_DOWNLOAD, access, Map.of("version", Integer.toString(row.version())), Map.of());
      return new Download(item, row, json);
    });
  }

  private StoredVersion versionRow(DSLContext sql, Item item, long version) {
    if (version > item.version()) {
      throw CairnException.notFound(item.name() + "/versions/" + version);
    }
    return store.version(sql, item.id(), version == 0 ? item.version() : (int) version);
  }

  Page<Item> list(Caller caller, Filter filter, String pageToken, int pageSize) {
    UUID me = caller.requireUserId();
    PageBinding binding = filter.bind(PageBinding.of(caller.principal(), "ListItems"));
    PageToken after = vault.pageTokens().decode(pageToken, binding, PageToken::read);
    int size = PageTokens.pageSize(pageSize, 50, 1000);
    return vault.database().transaction(caller, sql -> {
      var page = vault.pageTokens().page(
          repository.list(sql, me, filter, after, size + 1), size, binding, r -> new PageToken(r.createdAt(), r.id()));
      auditSharedReads(sql, caller, page.rows(), "LIST");
      return new Page<>(page.rows(), page.nextPageToken());
    });
  }

  /**
   * A grantee who sees another owner's items in a list has read that owner's data: each such
   * item goes into its owner's log, with the grant that showed it. The caller's own items do not.
   */
  private void auditSharedReads(DSLContext sql, Caller caller, List<Item> items, String view) {
    for (Item item : items) {
      if (!item.ownerId().equals(caller.userId())) {
        Access access = vault.access().item(sql, caller, item.id(), VaultAccess.Role.READ, false, false);
        audit(sql, caller, item, AuditAction.ITEM_READ, access, Map.of("view", view), Map.of());
      }
    }
  }

  Page<Version> versions(Caller caller, UUID id, String pageToken, int pageSize) {
    PageBinding binding = PageBinding.of(caller.principal(), "ListItemVersions").with("parent", id);
    Integer before = vault.pageTokens().decode(pageToken, binding, PagePosition.Reader::getInt);
    int size = PageTokens.pageSize(pageSize, 50, 1000);
    List<Version> rows = vault.database().transaction(caller, sql -> {
      Access access = readable(sql, caller, id);
      if (!access.isOwner()) {
        audit(sql, caller, access.item(), AuditAction.ITEM_READ, access, Map.of("view", "VERSIONS"), Map.of());
      }
      return repository.versions(sql, id, before, size + 1);
    });
    var page = vault.pageTokens().page(rows, size, binding, v -> out -> out.putInt(v.version()));
    return new Page<>(page.rows(), page.nextPageToken());
  }

  /** Readable: the owner (deleted items too), or a live READ grant on an active item. */
  private Access readable(DSLContext sql, Caller caller, UUID id) {
    Access access = vault.access().item(sql, caller, id, Role.READ, true, false);
    if (access.item().deleted() && !access.isOwner()) {
      throw CairnException.notFound(Items.name(id)); // grants stop working when an item is deleted
    }
    return access;
  }

  // ---------------------------------------------------------------- update, delete

  Item update(Caller caller, UUID id, Changes changes, String etag) {
    checkMask(changes);
    return limiter.write(caller.requireUserId(), () -> vault.database().transaction(caller, sql -> updateIn(sql, caller, id, changes, etag)));
  }

  private static void checkMask(Changes changes) {
    if (changes.paths().isEmpty()) {
      throw CairnException.invalidField("update_mask", "empty (expected: some of " + new TreeSet<>(Changes.UPDATABLE) + ")");
    }
    for (String path : changes.paths()) {
      if (!Changes.UPDATABLE.contains(path)) {
        throw CairnException.invalidField(
            "update_mask", "'" + path + "' cannot be updated (expected: some of " + new TreeSet<>(Changes.UPDATABLE) + ")");
      }
    }
    if (changes.has("content") && changes.has("data")) {
      throw CairnException.invalidField("update_mask", "content and data together (expected: one, by the item's kind)");
    }
  }

  private Item updateIn(DSLContext sql, Caller caller, UUID id, Changes changes, String etag) {
    // locks the item row: concurrent updates queue here, so each version number has exactly
    // one writer and an etag is compared against the state the update will change
    Access access = writable(sql, caller, id, true);
    Item item = access.item();
    checkEtag(item, etag);
    checkPathsFor(item.kind(), changes);
    var next = new NextRevision(item);
    Map<String, String> sensitive = new HashMap<>();
    if (changes.has("display_name")) {
      next.displayName = changes.displayName();
      sensitive.putAll(sensitiveName(changes.displayName()));
    }
    if (changes.has("labels")) {
      next.labels = new TreeMap<>(changes.labels()); // sorted, as read back from the row
    }
    if (changes.has("searchable")) {
      next.searchable = changes.searchable();
    }
    if (changes.has("media_type")) {
      next.mediaType = changes.mediaType();
    }
    OffsetDateTime now = now();
    byte[] recordJson = changes.newVersion() ? newVersion(sql, caller, item, next, changes, now) : null;
    Item updated = repository.store(sql, next.at(now));
    changed(sql, changes.newVersion() ? ItemListener.What.NEW_VERSION : ItemListener.What.METADATA, caller, updated, recordJson);
    audit(sql, caller, updated, AuditAction.ITEM_UPDATE, access,
        Map.of("fields", String.join(",", new TreeSet<>(changes.paths())), "version", Integer.toString(updated.version())),
        sensitive);
    return updated;
  }

  private void checkPathsFor(Kind kind, Changes changes) {
    if (kind == Kind.DOCUMENT && changes.has("data")) {
      throw CairnException.invalidField("update_mask", "data is for records; this item is a document (expected: content)");
    }
    if (kind == Kind.RECORD && (changes.has("content") || changes.has("media_type"))) {
      throw CairnException.invalidField("update_mask", "content and media_type are for documents; this item is a record (expected: data)");
    }
    if (changes.has("media_type") && changes.mediaType().isEmpty()) {
      throw CairnException.invalidField("item.media_type", "required for a document (e.g. application/pdf)");
    }
    if (changes.has("content")) {
      checkInlineSize(changes.content().length);
    }
    if (changes.has("data") && changes.data() == null) {
      throw CairnException.invalidField("item.data", "required when the mask names data");
    }
  }

  /** Stores the next version; returns a record's canonical JSON (null for a document). */
  private byte @Nullable [] newVersion(
      DSLContext sql, Caller caller, Item item, NextRevision next, Changes changes, OffsetDateTime now) {
    UUID owner = item.ownerId();
    UUID id = item.id();
    int version = item.version() + 1;
    UUID author = caller.requireUserId();
    Content facts;
    byte[] json = null;
    if (changes.has("content")) {
      byte[] content = changes.content();
      facts = new Content(next.mediaType, content.length, ContentStore.sha256().digest(content));
      ContentStore.Blob blob = store.writeSmall(sql, owner, id, content);
      repository.insertVersion(sql, id, version, owner, author, facts, blob, null, now);
    } else {
      UUID collection = requireNonNull(item.collectionId());
      json = checkRecord(sql, caller, owner, collection, requireNonNull(changes.data()));
      facts = new Content(RECORD_MEDIA_TYPE, json.length, ContentStore.sha256().digest(json));
      repository.insertVersion(sql, id, version, owner, author, facts, null, store.encryptRecord(sql, owner, id, version, json), now);
    }
    next.version = version;
    next.sizeBytes = facts.sizeBytes();
    next.sha256 = facts.sha256();
    return json;
  }

  Item delete(Caller caller, UUID id, String etag) {
    return limiter.write(caller.requireUserId(), () -> vault.database().transaction(caller, sql -> {
      Item item = ownedForUpdate(sql, caller, id, false);
      checkEtag(item, etag);
      OffsetDateTime now = now();
      var next = new NextRevision(item);
      next.deletedAt = now;
      next.purgeAfter = now.plus(vault.limits().retention());
      Item deleted = repository.store(sql, next.at(now));
      changed(sql, ItemListener.What.DELETED, caller, deleted, null);
      audit(sql, caller, deleted, AuditAction.ITEM_DELETE, null, Map.of("purge_after", String.valueOf(deleted.purgeAfter())), Map.of());
      return deleted;
    }));
  }

  Item undelete(Caller caller, UUID id, String etag) {
    return limiter.write(caller.requireUserId(), () -> vault.database().transaction(caller, sql -> {
      Item item = ownedForUpdate(sql, caller, id, true);
      if (!item.deleted()) {
        throw CairnException.failedPrecondition(Items.name(id) + " is not deleted");
      }
      OffsetDateTime now = now();
      if (item.purgeAfter() != null && !item.purgeAfter().isAfter(now)) {
        throw CairnException.notFound(Items.name(id)); // past retention: as good as purged
      }
      checkEtag(item, etag);
      var next = new NextRevision(item);
      next.deletedAt = null;
      next.purgeAfter = null;
      Item restored = repository.store(sql, next.at(now));
      changed(sql, ItemListener.What.UNDELETED, caller, restored, null);
      audit(sql, caller, restored, AuditAction.ITEM_UNDELETE, null, Map.of(), Map.of());
      return restored;
    }));
  }

  /** The caller's own item, locked; a grantee who can see it is PERMISSION_DENIED, others NOT_FOUND. */
  private Item ownedForUpdate(DSLContext sql, Caller caller, UUID id, boolean includeDeleted) {
    Access seen = vault.access().item(sql, caller, id, Role.READ, includeDeleted, false);
    if (!seen.isOwner()) {
      if (seen.item().deleted()) {
        throw CairnException.notFound(Items.name(id));
      }
      throw CairnException.permissionDenied("only the owner may delete or undelete " + Items.name(id));
    }
    // locks the row: a concurrent update, delete or purge of this item waits for us
    return vault.access().item(sql, caller, id, Role.READ, includeDeleted, true).item();
  }

  /** The item, locked when {@code lock}, if the caller may write it; PERMISSION_DENIED if only readable. */
  private Access writable(DSLContext sql, Caller caller, UUID id, boolean lock) {
    try {
      return vault.access().item(sql, caller, id, Role.WRITE, false, lock);
    } catch (CairnException e) {
      if (e.kind() != CairnException.Kind.NOT_FOUND) {
        throw e;
      }
      vault.access().item(sql, caller, id, Role.READ, false, false); // NOT_FOUND when not visible at all
      throw CairnException.permissionDenied("changing " + Items.name(id) + " needs the owner or a WRITE grant");
    }
  }

  static void checkEtag(Item item, String etag) {
    if (!etag.isEmpty() && !etag.equals(item.etag())) {
      throw CairnException.etagMismatch(item.name());
    }
  }

  // ---------------------------------------------------------------- listeners, audit, time

  private void changed(DSLContext sql, ItemListener.What what, Caller caller, Item item, byte @Nullable [] recordJson) {
    var change = new ItemListener.Change(
        what, caller.principal(), item.ownerId(), item.id(), item.collectionId(), item.version(), item.searchable(), recordJson);
    for (ItemListener listener : listeners) {
      listener.itemChanged(sql, change);
    }
  }

  private void audit(
      DSLContext sql, Caller caller, Item item, AuditAction action, @Nullable Access via,
      Map<String, String> details, Map<String, String> sensitive) {
    Entry entry = Entry.of("users/" + caller.requireUserId(), action, item.name(), caller.requestId())
        .withDetails(details)
        .withSensitive(sensitive);
    if (via != null && !via.isOwner()) {
      entry = entry.withVia(via.grantId(), null, via.consentId());
    }
    vault.audit().append(sql, item.ownerId(), entry);
  }

  private static Map<String, String> sensitiveName(String displayName) {
    return displayName.isEmpty() ? Map.of() : Map.of("display_name", displayName);
  }

  private OffsetDateTime now() {
    return Now.of(vault.clock());
  }
}
