package dev.cairn.server.vault.sharing.links;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonObject;
import dev.cairn.server.audit.AccessDenials;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.content.StoredVersion;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.core.ResourceNames;
import dev.cairn.server.crypto.Signer;
import dev.cairn.server.crypto.Signer.Signed;
import dev.cairn.server.db.PageBinding;
import dev.cairn.server.db.PageToken;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.sharing.Sharing;
import dev.cairn.server.vault.sharing.Sharing.Target;
import dev.cairn.server.vault.sharing.grants.GrantService;
import dev.cairn.server.vault.sharing.links.Links.AttestationFacts;
import dev.cairn.server.vault.sharing.links.Links.CreatedLink;
import dev.cairn.server.vault.sharing.links.Links.Link;
import dev.cairn.server.vault.sharing.links.Links.LinkPage;
import dev.cairn.server.vault.sharing.links.Links.LinkSecret;
import dev.cairn.server.vault.sharing.links.Links.LinkedItem;
import dev.cairn.server.vault.sharing.links.Links.NewLink;
import dev.cairn.server.vault.sharing.links.Links.RedeemedItem;
import dev.cairn.server.vault.sharing.links.Links.Redemption;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Access links: bearer tokens {@code cairn_lnk_<32 hex id>_<64 hex secret>} for one item.
 * Only SHA-256 of the 32 secret bytes is stored. Redemption needs no account: the link is
 * found by id through a SECURITY DEFINER function, its hash compared in constant time, one
 * use consumed atomically in SQL, and the item read as its owner, all in one transaction with
 * the audit event, so a failure anywhere leaves the use unconsumed.
 */
public final class AccessLinkService {
  static final String PREFIX = "cairn_lnk_";
  private static final Pattern TOKEN = Pattern.compile("^cairn_lnk_([0-9a-fA-F]{32})_([0-9a-fA-F]{64})$");
  private static final HexFormat HEX = HexFormat.of();

  private final VaultContext vault;
  private final AccessLinkRepository repository = new AccessLinkRepository();
  private final GrantService grants;
  private final ContentStore store;
  private final Signer signer;
  private final AccessDenials denials;

  public AccessLinkService(
      VaultContext vault, GrantService grants, ContentStore store, Signer signer, AccessDenials denials) {
    this.vault = requireNonNull(vault, "vault");
    this.grants = requireNonNull(grants, "grants");
    this.store = requireNonNull(store, "store");
    this.signer = requireNonNull(signer, "signer");
    this.denials = requireNonNull(denials, "denials");
  }

  public CreatedLink create(
      Principal caller,
      UUID itemId,
      long version,
      String purpose,
      int maxUses,
      OffsetDateTime expiresAt,
      boolean requireAttestation,
      @Nullable UUID requestId,
      String auditRequestId) {
    UUID me = caller.requireUserId();
    return vault.database().transaction(caller, sql -> {
      if (requestId != null) {
        var existing = repository.linkByRequest(sql, me, requestId);
        if (existing.isPresent()) {
          return new CreatedLink(existing.get(), "");
        }
      }
      var right = grants.shareRight(sql, caller, new Target(false, itemId));
      right.clamp(expiresAt, "access_link.expire_time");
      Integer pinned = version > 0 ? existingVersion(sql, itemId, version) : null;
      UUID id = vault.ids().get();
      byte[] secret = new byte[32];
      vault.random().nextBytes(secret);
      int uses = maxUses <= 0 ? 1 : maxUses;
      Link link = repository.insert(sql, new NewLink(
          id, right.ownerId(), me, itemId, pinned, Signer.sha256(secret), purpose, uses, expiresAt, requireAttestation,
          requestId));
      if (!link.id().equals(id)) {
        return new CreatedLink(link, ""); // a concurrent retry with the same request id won
      }
      vault.audit().append(sql, right.ownerId(),
          AuditLog.Entry.of("users/" + me, AuditAction.LINK_CREATE, "accessLinks/" + id, auditRequestId)
              .withVia(right.viaGrant(), id, null)
              .withDetails(Map.of(
                  "item", "items/" + itemId,
                  "max_uses", Integer.toString(uses),
                  "expire_time", expiresAt.toInstant().toString(),
                  "purpose", purpose)));
      return new CreatedLink(link, PREFIX + HEX.formatHex(uuidBytes(id)) + "_" + HEX.formatHex(secret));
    });
  }

  /**
   * {@code version} as a version number of the item, which has versions 1 to its current one;
   * any other is NOT_FOUND, as GetItem answers for it (compared as a long: never truncated).
   */
  private int existingVersion(DSLContext sql, UUID itemId, long version) {
    int current = repository.currentVersion(sql, itemId)
        .orElseThrow(() -> CairnException.notFound("items/" + itemId));
    if (version > current) {
      throw CairnException.notFound("items/" + itemId + "/versions/" + version);
    }
    return (int) version;
  }

  public LinkPage list(Principal caller, @Nullable UUID item, boolean showInactive, int pageSize, String pageToken) {
    UUID me = caller.requireUserId();
    var binding = PageBinding.of(caller, "ListAccessLinks").with("item", item).with("show_inactive", showInactive);
    PageToken after = vault.pageTokens().decode(pageToken, binding, PageToken::read);
    int limit = PageTokens.pageSize(pageSize, 50, 1000);
    List<Link> rows =
        vault.database().transaction(caller, sql -> repository.listLinks(sql, me, item, showInactive, after, limit + 1));
    var p = vault.pageTokens().page(rows, limit, binding, r -> new PageToken(r.createdAt(), r.id()));
    return new LinkPage(p.rows(), p.nextPageToken());
  }

  /** Creator or owner; revoking a revoked link returns it unchanged. */
  public Link revoke(Principal caller, String name, String auditRequestId) {
    UUID me = caller.requireUserId();
    UUID id = ResourceNames.idOf(name);
    return vault.database().transaction(caller, sql -> {
      // locked so concurrent revokes record one revocation
      Link link = repository.linkFor(sql, me, id, true).orElseThrow(() -> CairnException.notFound(name));
      if (link.revokedAt() != null) {
        return link;
      }
      Link revoked = repository.revokeLink(sql, id).orElseThrow();
      vault.audit().append(sql, link.ownerId(),
          AuditLog.Entry.of("users/" + me, AuditAction.LINK_REVOKE, name, auditRequestId)
              .withVia(null, id, null)
              .withDetails(Map.of("item", "items/" + link.itemId())));
      return revoked;
    });
  }

  /**
   * Redeems a token. Unknown, wrong-secret, expired, revoked, used-up, deleted-item and
   * no-longer-shareable links are all NOT_FOUND with the same message. The owner learns of
   * every refusal of a link of theirs (ACCESS_DENIED, written after the answer, in the
   * background, so a refusal takes no longer than an unknown link): with the right secret the
   * actor is the link, with a wrong one "anonymous" (whoever guessed is no bearer of it). An
   * unknown link id names no owner, so nothing is written for it.
   */
  public Redemption redeem(String token, boolean attest, String auditRequestId) {
    var m = TOKEN.matcher(token);
    if (!m.matches()) {
      throw notFound();
    }
    UUID id = uuid(HEX.parseHex(m.group(1)));
    byte[] secretHash = Signer.sha256(HEX.parseHex(m.group(2)));
    LinkSecret found = vault.database().transaction(Principal.anonymous(), sql ->
        repository.findLinkForRedemption(sql, id).orElseThrow(AccessLinkService::notFound));
    UUID owner = found.ownerId();
    if (!MessageDigest.isEqual(found.secretSha256(), secretHash)) {
      denied(owner, "anonymous", "accessLinks/" + id, id, "wrong link secret", auditRequestId);
      throw notFound();
    }
    try {
      // read and count as the owner: the redeemer has no account for RLS to check
      return vault.database().transaction(Principal.system(owner), sql -> redeemAsOwner(sql, id, owner, attest, auditRequestId));
    } catch (Refused refused) {
      // the redemption's transaction has rolled back: the event needs one of its own
      denied(owner, "accessLinks/" + id, "items/" + found.itemId(), id, refused.reason, auditRequestId);
      throw notFound();
    }
  }

  private Redemption redeemAsOwner(DSLContext sql, UUID id, UUID owner, boolean attest, String auditRequestId) {
    // a link goes only with its item (ON DELETE CASCADE), when the item is purged
    Link link = repository.linkFor(sql, owner, id, false).orElseThrow(() -> new Refused("item deleted"));
    refuseIfInactive(link);
    LinkedItem item = repository.liveItem(sql, owner, link.itemId()).orElseThrow(() -> new Refused("item deleted"));
    // locks the creator's SHARE grants (FOR SHARE): a revocation of them waits for this redemption
    if (!link.creatorId().equals(owner)
        && !grants.holdsShare(sql, link.creatorId(), owner, item.id(), item.collectionId())) {
      throw new Refused("its creator no longer holds SHARE"); // the link went with their grant
    }
    int versionNumber = link.version() != null ? link.version() : item.currentVersion();
    StoredVersion version = store.version(sql, item.id(), versionNumber);
    boolean record = version.isRecord();
    if (!record && version.sizeBytes() > vault.limits().inlineMaxBytes()) {
      // checked before consuming, so the failed attempt does not cost a use
      throw CairnException.failedPrecondition(
          "items/" + item.id() + " is " + version.sizeBytes() + " bytes; links give documents up to "
              + vault.limits().inlineMaxBytes() + " bytes");
    }
    // atomic: a concurrent redemption may have taken the last use since the link was read
    int useCount = repository.consumeLink(sql, id).orElseThrow(() -> new Refused("used up"));
    repository.markRedeemed(sql, id);
    byte[] content = record ? store.decryptRecord(sql, owner, version) : store.readSmall(sql, owner, version);
    boolean attested = attest || link.requireAttestation();
    vault.audit().append(sql, owner,
        AuditLog.Entry.of("accessLinks/" + id, AuditAction.LINK_REDEEM, "items/" + item.id(), auditRequestId)
            .withVia(null, id, null)
            .withDetails(Map.of(
                "version", Integer.toString(versionNumber),
                "use_count", Integer.toString(useCount),
                "attested", Boolean.toString(attested))));
    RedeemedItem redeemed = redeemedItem(item, version, content);
    Signed signed = null;
    AttestationFacts facts = null;
    if (attested) {
      facts = new AttestationFacts(
          "items/" + item.id(), versionNumber, version.contentSha256(), Sharing.userName(owner),
          OffsetDateTime.ofInstant(vault.clock().instant().truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC),
          "accessLinks/" + id);
      signed = signer.sign(attestationPayload(facts, signer.keyId()));
      vault.audit().append(sql, owner,
          AuditLog.Entry.of("accessLinks/" + id, AuditAction.ATTESTATION_ISSUE, "items/" + item.id(), auditRequestId)
              .withVia(null, id, null)
              .withDetails(Map.of("key_id", signer.keyId(), "content_sha256", HEX.formatHex(version.contentSha256()))));
    }
    return new Redemption(redeemed, signed, facts, link.maxUses() - useCount);
  }

  /** Fails with {@link Refused} when the link is revoked, expired or used up. */
  private void refuseIfInactive(Link link) {
    if (link.revokedAt() != null) {
      throw new Refused("revoked");
    }
    if (!link.expiresAt().toInstant().isAfter(vault.clock().instant())) {
      throw new Refused("expired");
    }
    if (link.useCount() >= link.maxUses()) {
      throw new Refused("used up");
    }
  }

  /** A refused redemption of a real link is a failed access attempt on the owner's data. */
  private void denied(UUID owner, String actor, String target, UUID link, String reason, String auditRequestId) {
    denials.submitFor(owner,
        AuditLog.Entry.of(actor, AuditAction.ACCESS_DENIED, target, auditRequestId)
            .withVia(null, link, null)
            .withOutcome("DENIED")
            .withDetails(Map.of("action", "RedeemAccessLink", "access_link", "accessLinks/" + link, "reason", reason)));
  }

  /**
   * Why a redemption of a real link with the right secret was refused: for the owner's log
   * only; the redeemer gets the same NOT_FOUND as for an unknown link.
   */
  private static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String reason;

    Refused(String reason) {
      super(reason, null, false, false);
      this.reason = reason;
    }
  }

  /**
   * The signed statement: compact JSON, keys sorted, as documented on Attestation.payload.
   */
  static byte[] attestationPayload(AttestationFacts f, String keyId) {
    var fields = new TreeMap<String, Object>();
    fields.put("type", "cairn.dev/Attestation/v1");
    fields.put("item", f.item());
    fields.put("version", f.version());
    fields.put("content_sha256", HEX.formatHex(f.contentSha256()));
    fields.put("owner", f.owner());
    fields.put("issue_time", f.issueTime().toInstant().toString());
    fields.put("access_link", f.accessLink());
    fields.put("key_id", keyId);
    var json = new JsonObject();
    fields.forEach((k, v) -> {
      if (v instanceof Integer n) {
        json.addProperty(k, n);
      } else {
        json.addProperty(k, (String) v);
      }
    });
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static RedeemedItem redeemedItem(LinkedItem item, StoredVersion version, byte[] content) {
    return new RedeemedItem(
        item.id(),
        item.ownerId(),
        item.record(),
        item.collectionId(),
        item.displayName(),
        version.mediaType(),
        item.labels(),
        item.searchable(),
        version.version(),
        version.sizeBytes(),
        version.contentSha256(),
        item.createdAt(),
        item.updatedAt(),
        content);
  }

  private static CairnException notFound() {
    return CairnException.notFound("the access link");
  }

  private static byte[] uuidBytes(UUID id) {
    var buffer = java.nio.ByteBuffer.allocate(16);
    buffer.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    return buffer.array();
  }

  private static UUID uuid(byte[] bytes) {
    var buffer = java.nio.ByteBuffer.wrap(bytes);
    return new UUID(buffer.getLong(), buffer.getLong());
  }
}
