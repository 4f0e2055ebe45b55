package dev.cairn.server.vault.sharing.links;

import dev.cairn.server.crypto.Signer.Signed;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The access-link domain's value types (no proto, no jOOQ records). */
public final class Links {
  private Links() {}

  public record Link(
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

  /** A link to write. */
  record NewLink(
      UUID id,
      UUID ownerId,
      UUID creatorId,
      UUID itemId,
      @Nullable Integer version,
      byte[] secretSha256,
      String purpose,
      int maxUses,
      OffsetDateTime expiresAt,
      boolean requireAttestation,
      @Nullable UUID requestId) {}

  /** A created link, with its bearer token when this call created it (empty on a retry). */
  public record CreatedLink(Link link, String token) {}

  public record LinkPage(List<Link> links, String nextPageToken) {}

  /** What redemption looks a link up by, before anyone is known: whose it is and its secret's hash. */
  record LinkSecret(UUID ownerId, UUID itemId, byte[] secretSha256) {}

  /** The live item a link is for, as redemption reads it (as its owner). */
  record LinkedItem(
      UUID id,
      UUID ownerId,
      boolean record,
      @Nullable UUID collectionId,
      String displayName,
      Map<String, String> labels,
      boolean searchable,
      int currentVersion,
      OffsetDateTime createdAt,
      OffsetDateTime updatedAt) {}

  /** What a redemption gives: the item (content or record JSON) and, if asked, the attestation. */
  public record Redemption(
      RedeemedItem item, @Nullable Signed attestation, @Nullable AttestationFacts facts, int remainingUses) {}

  /** The redeemed item at one version, with its content. */
  public record RedeemedItem(
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
  public record AttestationFacts(
      String item, int version, byte[] contentSha256, String owner, OffsetDateTime issueTime, String accessLink) {}
}
