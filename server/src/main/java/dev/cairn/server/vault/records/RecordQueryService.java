package dev.cairn.server.vault.records;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.content.ContentStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * QueryRecords: checks the caller may read the collection, translates the filter against its
 * queryable fields, reads one page in one transaction, decrypts each record, and records a
 * grantee's query in the owner's audit chain in the same transaction.
 */
final class RecordQueryService {
  static final int DEFAULT_PAGE = 50;
  static final int MAX_PAGE = 1000;

  private final VaultContext vault;
  private final SchemaCache schemas;
  private final ContentStore store;
  private final CollectionRepository collections = new CollectionRepository();
  private final RecordQueryRepository records = new RecordQueryRepository();

  RecordQueryService(VaultContext vault, SchemaCache schemas) {
    this.vault = requireNonNull(vault, "vault");
    this.schemas = requireNonNull(schemas, "schemas");
    this.store = vault.contentStore();
  }

  /** A record and its decrypted canonical JSON. */
  record Result(RecordQueryRepository.Row row, byte[] json) {}

  record Page(List<Result> records, String nextPageToken) {}

  /** The query's parts, resolved against the collection. */
  record Plan(CollectionInfo collection, Condition filter, SortKey<?> key, @Nullable RecordCursor after, PageBinding binding) {}

  Page query(Principal caller, UUID collectionId, String filter, String orderBy, int pageSize, String pageToken, String requestId) {
    caller.requireUserId();
    // syntax first: it needs no data, and an error reveals nothing about the collection
    Filter tree = FilterParser.parse(filter);
    int limit = PageTokens.pageSize(pageSize, DEFAULT_PAGE, MAX_PAGE);
    return vault.database().transaction(caller, sql -> {
      Plan plan = plan(sql, caller, collectionId, tree, filter, orderBy, pageToken);
      List<RecordQueryRepository.Row> rows =
          records.page(sql, caller, plan.collection(), plan.filter(), plan.key(), plan.after(), limit + 1);
      boolean more = rows.size() > limit;
      List<RecordQueryRepository.Row> page = more ? rows.subList(0, limit) : rows;
      List<Result> out = new ArrayList<>(page.size());
      for (var row : page) {
        out.add(new Result(row, store.decryptRecord(sql, plan.collection().ownerId(), row.version())));
      }
      audit(sql, caller, plan.collection(), filter, orderBy, out.size(), requestId);
      String next = "";
      if (more) {
        var last = page.getLast();
        next = vault.pageTokens().encode(
            plan.binding(), new RecordCursor(last.sortValue(), last.item().id()).position(plan.key()));
      }
      return new Page(out, next);
    });
  }

  /** Loads the collection (NOT_FOUND unless readable) and resolves filter, order and cursor. */
  Plan plan(
      org.jooq.DSLContext sql,
      Principal caller,
      UUID collectionId,
      @Nullable Filter tree,
      String filter,
      String orderBy,
      String pageToken) {
    CollectionInfo collection =
        collections
            .find(sql, caller, collectionId, Role.READ)
            .orElseThrow(() -> CairnException.notFound("collections/" + collectionId));
    var queryable = schemas.get(collection).queryable();
    Condition condition = tree == null ? DSL.noCondition() : new FilterSql(collectionId, queryable).condition(tree);
    SortKey<?> key = SortKey.parse(orderBy, collectionId, queryable);
    var binding = PageBinding.of(caller, "QueryRecords")
        .with("parent", collectionId).with("filter", filter).with("order_by", key.spec());
    RecordCursor after = vault.pageTokens().decode(pageToken, binding, in -> RecordCursor.read(in, key));
    return new Plan(collection, condition, key, after, binding);
  }

  RecordQueryRepository repository() {
    return records;
  }

  /**
   * A grantee's query is an access to the owner's data: one RECORD_QUERY event per call, in
   * the owner's chain (the filter only as an HMAC: it may name personal values). The owner's
   * own queries are not logged (audit.proto, ACTION_RECORD_QUERY).
   */
  private void audit(
      org.jooq.DSLContext sql, Principal caller, CollectionInfo collection, String filter, String orderBy, int count, String requestId) {
    UUID me = caller.requireUserId();
    if (me.equals(collection.ownerId())) {
      return;
    }
    var via = records.grantOnCollection(sql, me, collection);
    var entry =
        AuditLog.Entry.of("users/" + me, AuditAction.RECORD_QUERY, collection.name(), requestId)
            .withVia(via == null ? null : via.grantId(), null, via == null ? null : via.consentId())
            .withDetails(Map.of("results", Integer.toString(count), "order_by", orderBy))
            .withSensitive(filter.isEmpty() ? Map.of() : Map.of("filter", filter));
    vault.audit().append(sql, collection.ownerId(), entry);
  }
}
