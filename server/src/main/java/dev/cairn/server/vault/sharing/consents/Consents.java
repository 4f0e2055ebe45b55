package dev.cairn.server.vault.sharing.consents;

import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.crypto.Signer.Signed;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The consent domain's value types (no proto, no jOOQ records). */
public final class Consents {
  private Consents() {}

  public enum ScopeKind {
    ITEMS,
    COLLECTION,
    LABELS
  }

  /** What the owner agreed to, as the client captured it. */
  public record Agreement(String text, String textVersion, String collectionMethod) {}

  /** A consent as requested (before the server fills in ids and grants). */
  public record ConsentDraft(
      String recipient,
      String purpose,
      List<String> purposeCategories,
      List<String> piiCategories,
      ScopeKind scopeKind,
      List<UUID> items,
      @Nullable UUID collection,
      Map<String, String> labels,
      Role role,
      @Nullable OffsetDateTime startsAt,
      OffsetDateTime endsAt,
      Agreement agreement,
      String jurisdiction,
      String policyUrl,
      boolean sensitive,
      List<String> sensitiveCategories) {}

  public record Consent(
      UUID id,
      UUID ownerId,
      UUID recipientId,
      String purpose,
      List<String> purposeCategories,
      List<String> piiCategories,
      ScopeKind scopeKind,
      /** resource names in scope: the items, the collection, or the items the labels matched */
      List<String> scope,
      Map<String, String> labels,
      Role role,
      OffsetDateTime startsAt,
      OffsetDateTime endsAt,
      Agreement agreement,
      String jurisdiction,
      String policyUrl,
      boolean sensitive,
      List<String> sensitiveCategories,
      OffsetDateTime createdAt,
      @Nullable OffsetDateTime revokedAt,
      List<UUID> grants) {

    Consent withGrants(List<UUID> ids) {
      return new Consent(id, ownerId, recipientId, purpose, purposeCategories, piiCategories, scopeKind, scope, labels,
          role, startsAt, endsAt, agreement, jurisdiction, policyUrl, sensitive, sensitiveCategories, createdAt,
          revokedAt, List.copyOf(ids));
    }
  }

  public record ConsentPage(List<Consent> consents, String nextPageToken) {}

  /** A receipt and its signed Kantara JSON. */
  public record Receipt(KantaraReceipt receipt, Signed signed) {}
}
