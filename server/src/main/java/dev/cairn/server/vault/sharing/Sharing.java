package dev.cairn.server.vault.sharing;

import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.crypto.Signer.Signed;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The sharing domain's small value types (no proto, no jOOQ). */
final class Sharing {
  private Sharing() {}

  /** What a grant is on: one item, or one collection (all its records). */
  record Target(boolean collection, UUID id) {
    String name() {
      return (collection ? "collections/" : "items/") + id;
    }

    /** {@code items/{uuid}} or {@code collections/{uuid}}; anything unparseable is NOT_FOUND. */
    static Target parse(String name) {
      boolean collection = name.startsWith("collections/");
      UUID id = ResourceNames.idOf(name);
      return new Target(collection, id);
    }

    /** As {@link #parse}, but null for a name that cannot name anything (list filters). */
    static @Nullable Target parseOrNull(String name) {
      boolean collection = name.startsWith("collections/");
      return ResourceNames.uuid(name.substring(name.indexOf('/') + 1)).map(id -> new Target(collection, id)).orElse(null);
    }
  }

  /** Another user as sharing names them: their id and what a receipt shows. */
  record UserInfo(UUID id, String username, String displayName) {}

  record Grant(
      UUID id,
      UUID ownerId,
      UUID grantorId,
      UUID granteeId,
      Target target,
      Role role,
      String purpose,
      OffsetDateTime startsAt,
      @Nullable OffsetDateTime expiresAt,
      @Nullable OffsetDateTime revokedAt,
      @Nullable UUID consentId,
      OffsetDateTime createdAt) {}

  /**
   * A page of grants, with the usernames of the grantees of the grants the caller made: the
   * grantor named each of them when sharing, so showing the name tells them nothing new.
   */
  record GrantPage(List<Grant> grants, Map<UUID, String> granteeUsernames, String nextPageToken) {}

  /** ListGrants filters. {@code user} is the other side; {@code null} means any. */
  record GrantFilter(
      boolean toMe,
      @Nullable Target target,
      @Nullable String user,
      @Nullable UUID consent,
      boolean showInactive) {}

  record Link(
      UUID id,
      UUID ownerId,
      UUID creatorId,
      UUID itemId,
      @Nullable Integer version,
      String purpose,
      int maxUses,
      int useCount,
      OffsetDateTime expiresAt,
      @Nullable OffsetDateTime revokedAt,
      boolean requireAttestation,
      OffsetDateTime createdAt,
      @Nullable OffsetDateTime lastRedeemAt) {}

  /** A created link, with its bearer token when this call created it (empty on a retry). */
  record NewLink(Link link, String token) {}

  record LinkPage(List<Link> links, String nextPageToken) {}

  /** What a redemption gives: the item (content or record JSON) and, if asked, the attestation. */
  record Redemption(
      RedeemedItem item, @Nullable Signed attestation, @Nullable AttestationFacts facts, int remainingUses) {}

  /** The redeemed item at one version, with its content. */
  record RedeemedItem(
      UUID id,
      UUID ownerId,
      boolean record,
      @Nullable UUID collectionId,
      String displayName,
      String mediaType,
      Map<String, String> labels,
      boolean searchable,
      int version,
      long sizeBytes,
      byte[] contentSha256,
      OffsetDateTime createdAt,
      OffsetDateTime updatedAt,
      byte[] content) {}

  /** The facts an attestation states, as signed. */
  record AttestationFacts(
      String item, int version, byte[] contentSha256, String owner, OffsetDateTime issueTime, String accessLink) {}

  enum ScopeKind {
    ITEMS,
    COLLECTION,
    LABELS
  }

  /** What the owner agreed to, as the client captured it. */
  record Agreement(String text, String textVersion, String collectionMethod) {}

  /** A consent as requested (before the server fills in ids and grants). */
  record ConsentDraft(
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

  record Consent(
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
      List<UUID> grants) {}

  record ConsentPage(List<Consent> consents, String nextPageToken) {}

  /** A receipt and its signed Kantara JSON. */
  record Receipt(KantaraReceipt receipt, Signed signed) {}

  static String userName(UUID id) {
    return "users/" + id;
  }
}
