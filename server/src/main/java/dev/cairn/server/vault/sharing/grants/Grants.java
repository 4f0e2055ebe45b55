package dev.cairn.server.vault.sharing.grants;

import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.vault.sharing.Sharing.Target;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/** The grants domain's value types (no proto, no jOOQ records). */
public final class Grants {
  private Grants() {}

  public record Grant(
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

  /** A grant to write; {@code createdAt} null takes the database's time. */
  record NewGrant(
      UUID id,
      UUID ownerId,
      UUID grantorId,
      UUID granteeId,
      Target target,
      Role role,
      String purpose,
      OffsetDateTime startsAt,
      @Nullable OffsetDateTime expiresAt,
      @Nullable UUID consentId,
      @Nullable OffsetDateTime createdAt,
      @Nullable UUID requestId) {}

  /**
   * A page of grants, with the usernames of the grantees of the grants the caller made: the
   * grantor named each of them when sharing, so showing the name tells them nothing new.
   */
  public record GrantPage(List<Grant> grants, Map<UUID, String> granteeUsernames, String nextPageToken) {}

  /** ListGrants filters. {@code user} is the other side; {@code null} means any. */
  public record GrantFilter(
      boolean toMe,
      @Nullable Target target,
      @Nullable String user,
      @Nullable UUID consent,
      boolean showInactive) {}

  /**
   * What else goes when a SHARE grant goes: whatever its grantee made through it outside the
   * grants themselves (access links). Called inside the revoking transaction, as the owner.
   */
  public interface ReshareCascade {
    void revokeMadeThrough(DSLContext sql, Grant lost);
  }
}
