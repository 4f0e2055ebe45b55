package dev.cairn.server.vault.sharing.consents;

import static dev.cairn.server.db.jooq.Tables.COLLECTIONS;
import static dev.cairn.server.db.jooq.Tables.CONSENTS;
import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.db.Jsonb;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.jooq.Routines;
import dev.cairn.server.db.jooq.tables.records.ConsentsRecord;
import dev.cairn.server.vault.sharing.consents.Consents.Agreement;
import dev.cairn.server.vault.sharing.consents.Consents.Consent;
import dev.cairn.server.vault.sharing.consents.Consents.ConsentDraft;
import dev.cairn.server.vault.sharing.consents.Consents.ScopeKind;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * jOOQ queries on consents and on the owner's items and collections a scope names. Every query
 * names the user it is for (owner or recipient); row-level security enforces the same rule
 * underneath. A consent's grants are read by consent id only, never written here.
 */
final class ConsentRepository {

  /** The owner's live items among {@code ids}. */
  Set<UUID> ownedItems(DSLContext sql, UUID owner, List<UUID> ids) {
    return Set.copyOf(sql.select(ITEMS.ID)
        .from(ITEMS)
        .where(ITEMS.OWNER_ID.eq(owner))
        .and(ITEMS.ID.in(ids))
        .and(ITEMS.DELETED_AT.isNull())
        .fetch(ITEMS.ID));
  }

  boolean ownsCollection(DSLContext sql, UUID owner, UUID id) {
    return sql.fetchExists(COLLECTIONS, COLLECTIONS.OWNER_ID.eq(owner).and(COLLECTIONS.ID.eq(id)));
  }

  /** Up to {@code limit} of the owner's live items carrying all {@code labels}, oldest first. */
  List<UUID> itemsWithLabels(DSLContext sql, UUID owner, Map<String, String> labels, int limit) {
    return sql.select(ITEMS.ID)
        .from(ITEMS)
        .where(ITEMS.OWNER_ID.eq(owner))
        .and(ITEMS.DELETED_AT.isNull())
        .and(DSL.condition("{0} @> {1}", ITEMS.LABELS, DSL.val(Jsonb.of(labels))))
        .orderBy(ITEMS.CREATED_AT, ITEMS.ID)
        .limit(limit)
        .fetch(ITEMS.ID);
  }

  /**
   * Inserts the consent (no grants yet) unless the owner already used the request id: the
   * inserted consent, or empty when a concurrent retry with the same request id won.
   */
  Optional<Consent> insertOnce(
      DSLContext sql, UUID id, UUID owner, UUID recipient, ConsentDraft draft, List<String> scope,
      OffsetDateTime startsAt, OffsetDateTime now, @Nullable UUID requestId) {
    return sql.insertInto(CONSENTS)
        .set(CONSENTS.ID, id)
        .set(CONSENTS.OWNER_ID, owner)
        .set(CONSENTS.RECIPIENT_ID, recipient)
        .set(CONSENTS.PURPOSE, draft.purpose())
        .set(CONSENTS.PURPOSE_CATEGORIES, draft.purposeCategories().toArray(String[]::new))
        .set(CONSENTS.PII_CATEGORIES, draft.piiCategories().toArray(String[]::new))
        .set(CONSENTS.SCOPE_KIND, draft.scopeKind().name())
        .set(CONSENTS.SCOPE, scopeJson(scope, draft.labels()))
        .set(CONSENTS.ROLE, draft.role().name())
        .set(CONSENTS.STARTS_AT, startsAt)
        .set(CONSENTS.ENDS_AT, draft.endsAt())
        .set(CONSENTS.AGREEMENT, agreementJson(draft.agreement(), now))
        .set(CONSENTS.JURISDICTION, draft.jurisdiction())
        .set(CONSENTS.POLICY_URL, draft.policyUrl())
        .set(CONSENTS.SENSITIVE, draft.sensitive())
        .set(CONSENTS.SENSITIVE_CATEGORIES, draft.sensitiveCategories().toArray(String[]::new))
        .set(CONSENTS.CREATE_REQUEST_ID, requestId)
        .set(CONSENTS.CREATED_AT, now)
        .onConflictDoNothing()
        .returning()
        .fetchOptional()
        .map(r -> consent(r, List.of()));
  }

  Optional<UUID> consentByRequest(DSLContext sql, UUID owner, UUID requestId) {
    return sql.select(CONSENTS.ID)
        .from(CONSENTS)
        .where(CONSENTS.OWNER_ID.eq(owner))
        .and(CONSENTS.CREATE_REQUEST_ID.eq(requestId))
        .fetchOptional(CONSENTS.ID);
  }

  /** The consent if {@code user} is its owner or recipient; locked when {@code forUpdate}. */
  Optional<Consent> consentFor(DSLContext sql, UUID user, UUID id, boolean forUpdate) {
    var query =
        sql.selectFrom(CONSENTS)
            .where(CONSENTS.ID.eq(id))
            .and(CONSENTS.OWNER_ID.eq(user).or(CONSENTS.RECIPIENT_ID.eq(user)));
    var row = forUpdate ? query.forUpdate().fetchOptional() : query.fetchOptional();
    return row.map(r -> consent(r, grantIdsOf(sql, List.of(r.getId())).getOrDefault(r.getId(), List.of())));
  }

  List<Consent> listConsents(
      DSLContext sql, UUID caller, boolean toMe, boolean showInactive, @Nullable PageToken after, int limit) {
    Condition c = toMe ? CONSENTS.RECIPIENT_ID.eq(caller) : CONSENTS.OWNER_ID.eq(caller);
    if (!showInactive) {
      c = c.and(CONSENTS.REVOKED_AT.isNull())
          .and(CONSENTS.ENDS_AT.isNull().or(CONSENTS.ENDS_AT.gt(Routines.now())));
    }
    var query = sql.selectFrom(CONSENTS).where(c).orderBy(CONSENTS.CREATED_AT.desc(), CONSENTS.ID.desc());
    var rows = after == null ? query.limit(limit).fetch() : query.seek(after.time(), after.id()).limit(limit).fetch();
    Map<UUID, List<UUID>> grants = grantIdsOf(sql, rows.map(ConsentsRecord::getId));
    return rows.map(r -> consent(r, grants.getOrDefault(r.getId(), List.of())));
  }

  /** Revokes an unrevoked consent: the revoked row (without grants), or empty when revoked already. */
  Optional<Consent> revokeConsent(DSLContext sql, UUID id) {
    return sql.update(CONSENTS)
        .set(CONSENTS.REVOKED_AT, Routines.now())
        .where(CONSENTS.ID.eq(id))
        .and(CONSENTS.REVOKED_AT.isNull())
        .returning()
        .fetchOptional()
        .map(r -> consent(r, List.of()));
  }

  private static Map<UUID, List<UUID>> grantIdsOf(DSLContext sql, List<UUID> consents) {
    if (consents.isEmpty()) {
      return Map.of();
    }
    return sql.select(GRANTS.CONSENT_ID, GRANTS.ID)
        .from(GRANTS)
        .where(GRANTS.CONSENT_ID.in(consents))
        .orderBy(GRANTS.CREATED_AT, GRANTS.ID)
        .fetchGroups(GRANTS.CONSENT_ID, GRANTS.ID);
  }

  /** The scope column: {"names": [...resource names], "labels": {...}} (labels only for LABELS). */
  private static JSONB scopeJson(List<String> names, Map<String, String> labels) {
    var json = new JsonObject();
    var array = new JsonArray();
    names.forEach(array::add);
    json.add("names", array);
    if (!labels.isEmpty()) {
      json.add("labels", Jsonb.object(labels));
    }
    return Jsonb.of(json);
  }

  private static JSONB agreementJson(Agreement a, OffsetDateTime agreedAt) {
    var json = new JsonObject();
    json.addProperty("agreed", true);
    json.addProperty("text", a.text());
    json.addProperty("text_version", a.textVersion());
    json.addProperty("collection_method", a.collectionMethod());
    json.addProperty("agree_time", agreedAt.toInstant().toString());
    return Jsonb.of(json);
  }

  private static Consent consent(ConsentsRecord r, List<UUID> grants) {
    var scope = Jsonb.object(r.getScope());
    List<String> names = new ArrayList<>();
    scope.getAsJsonArray("names").forEach(e -> names.add(e.getAsString()));
    Map<String, String> labels = scope.has("labels") ? Jsonb.stringMap(scope.getAsJsonObject("labels")) : Map.of();
    var agreement = Jsonb.object(r.getAgreement());
    return new Consent(
        r.getId(),
        r.getOwnerId(),
        r.getRecipientId(),
        r.getPurpose(),
        Arrays.asList(r.getPurposeCategories()),
        Arrays.asList(r.getPiiCategories()),
        ScopeKind.valueOf(r.getScopeKind()),
        names,
        labels,
        Role.valueOf(r.getRole()),
        r.getStartsAt(),
        r.getEndsAt(),
        new Agreement(
            agreement.get("text").getAsString(),
            agreement.get("text_version").getAsString(),
            agreement.get("collection_method").getAsString()),
        r.getJurisdiction(),
        r.getPolicyUrl(),
        r.getSensitive(),
        Arrays.asList(r.getSensitiveCategories()),
        r.getCreatedAt(),
        r.getRevokedAt(),
        grants);
  }
}
