package dev.cairn.server.vault.records;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.core.Now;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.vault.VaultContext;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Collection rules: anyone with an account creates collections of their own (idempotently
 * with a request id, the schema checked first); owners and grantees with a live grant read
 * them; nobody else learns they exist.
 */
final class CollectionService {
  static final int DEFAULT_PAGE = 50;
  static final int MAX_PAGE = 1000;

  private final VaultContext vault;
  private final CollectionRepository repository = new CollectionRepository();

  CollectionService(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
  }

  /** What a caller asks to create. */
  record NewCollection(String displayName, String description, String jsonSchema) {}

  CollectionInfo create(Principal caller, NewCollection request, @Nullable UUID requestId, String callId) {
    UUID owner = caller.requireUserId();
    CollectionSchema schema = CollectionSchema.compile(request.jsonSchema(), "collection.json_schema");
    OffsetDateTime now = Now.of(vault.clock());
    var collection =
        new CollectionInfo(
            vault.ids().get(),
            owner,
            request.displayName(),
            request.description(),
            request.jsonSchema(),
            List.copyOf(schema.queryable().keySet()),
            1,
            now,
            now);
    return vault.database().transaction(caller, sql -> {
      if (requestId != null) {
        var earlier = repository.byRequestId(sql, owner, requestId);
        if (earlier.isPresent()) {
          return earlier.get();
        }
      }
      if (!repository.insert(sql, collection, requestId)) {
        // a concurrent retry with the same request id won the insert: answer with its collection
        return repository.byRequestId(sql, owner, requireNonNull(requestId, "requestId"))
            .orElseThrow(() -> new IllegalStateException("collection insert conflicted without a request id"));
      }
      vault.audit().append(sql, owner,
          AuditLog.Entry.of("users/" + owner, AuditAction.COLLECTION_CREATE, collection.name(), callId)
              .withDetails(Map.of("queryable_fields", String.join(",", collection.queryableFields()))));
      return collection;
    });
  }

  CollectionInfo get(Principal caller, UUID id) {
    caller.requireUserId();
    return vault.database().transaction(caller, sql ->
        repository.find(sql, caller, id, Role.READ).orElseThrow(() -> CairnException.notFound("collections/" + id)));
  }

  record Page(List<CollectionInfo> collections, String nextPageToken) {}

  Page list(Principal caller, boolean sharedWithMe, int pageSize, String pageToken) {
    caller.requireUserId();
    int limit = PageTokens.pageSize(pageSize, DEFAULT_PAGE, MAX_PAGE);
    var binding = PageBinding.of(caller, "ListCollections").with("shared_with_me", sharedWithMe);
    PageToken after = vault.pageTokens().decode(pageToken, binding, PageToken::read);
    List<CollectionInfo> rows =
        vault.database().transaction(caller, sql -> repository.page(sql, caller, sharedWithMe, after, limit + 1));
    var p = vault.pageTokens().page(rows, limit, binding, r -> new PageToken(r.createdAt(), r.id()));
    return new Page(List.copyOf(p.rows()), p.nextPageToken());
  }
}
