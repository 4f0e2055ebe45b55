package dev.cairn.server.db;

import static java.util.Objects.requireNonNull;

import com.google.crypto.tink.subtle.Hkdf;
import dev.cairn.server.core.CairnException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The one page-token codec every list uses. A token is
 * {@code base64url(version ‖ position ‖ tag)}: the keyset position of the last row a page
 * returned, authenticated by a truncated HMAC-SHA256 under the server's page-token key over
 * the version, the {@link PageBinding} (caller, method, filters) and the position. The binding
 * is not carried, so a token replayed by another user, on another list or with other filters
 * fails the tag exactly like a forged, damaged or foreign one: all are the same
 * INVALID_ARGUMENT on {@code page_token}, which tells nothing about why. Replicas sharing the
 * key (and restarts) accept each other's tokens.
 */
public final class PageTokens {
  public static final String FIELD = "page_token";
  private static final byte VERSION = 1;
  /** 128 bits: forging one means guessing it, one online request per guess. */
  private static final int TAG_BYTES = 16;
  private static final String MAC = "HmacSHA256";
  private static final byte[] HKDF_INFO = "cairn page tokens v1".getBytes(StandardCharsets.US_ASCII);

  private final SecretKeySpec key;

  /** {@code key}: at least 32 random bytes, the same on every replica. */
  public PageTokens(byte[] key) {
    requireNonNull(key, "key");
    if (key.length < 32) {
      throw new IllegalArgumentException("page-token key: " + key.length + " bytes (expected: at least 32)");
    }
    this.key = new SecretKeySpec(key.clone(), MAC);
  }

  /**
   * A codec whose key is derived from another server secret with HKDF-SHA256 under its own
   * label, so the two uses never share a key and no extra secret has to be distributed.
   */
  public static PageTokens derivedFrom(byte[] secret) {
    try {
      return new PageTokens(Hkdf.computeHkdf(MAC, secret, new byte[0], HKDF_INFO, 32));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HKDF-SHA256 is not available", e);
    }
  }

  /** One page of rows and the token of the next page ("" when there is none). */
  public record Page<T>(List<T> rows, String nextPageToken) {
    public Page {
      rows = List.copyOf(rows);
    }
  }

  public String encode(PageBinding binding, PagePosition position) {
    var out = new PagePosition.Writer();
    position.writeTo(out);
    byte[] body = out.toByteArray();
    byte[] token = new byte[1 + body.length + TAG_BYTES];
    token[0] = VERSION;
    System.arraycopy(body, 0, token, 1, body.length);
    System.arraycopy(tag(binding, body), 0, token, 1 + body.length, TAG_BYTES);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
  }

  /**
   * The position in {@code token}, read by {@code read}; null for an empty token (the first
   * page). Never throws anything but INVALID_ARGUMENT on {@code page_token}.
   */
  public <T> @Nullable T decode(String token, PageBinding binding, Function<PagePosition.Reader, T> read) {
    if (token.isEmpty()) {
      return null;
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw invalid();
    }
    if (raw.length < 1 + TAG_BYTES || raw[0] != VERSION) {
      throw invalid();
    }
    byte[] body = Arrays.copyOfRange(raw, 1, raw.length - TAG_BYTES);
    byte[] tag = Arrays.copyOfRange(raw, raw.length - TAG_BYTES, raw.length);
    if (!MessageDigest.isEqual(tag, tag(binding, body))) {
      throw invalid();
    }
    try {
      var in = new PagePosition.Reader(body);
      T position = requireNonNull(read.apply(in), "position");
      in.requireEnd();
      return position;
    } catch (RuntimeException e) {
      // authentic but unreadable: a token of an older layout under the same key
      throw invalid();
    }
  }

  /**
   * Cuts a page from rows fetched with {@code limit + 1}: the extra row only says there is
   * more; the token names the last row kept.
   */
  public <T> Page<T> page(List<T> fetched, int limit, PageBinding binding, Function<T, PagePosition> positionOf) {
    if (fetched.size() <= limit) {
      return new Page<>(fetched, "");
    }
    List<T> rows = fetched.subList(0, limit);
    return new Page<>(rows, encode(binding, positionOf.apply(rows.get(limit - 1))));
  }

  /** page_size 0 means the default; validation already bounds it. */
  public static int pageSize(int requested, int defaultSize, int max) {
    return requested <= 0 ? defaultSize : Math.min(requested, max);
  }

  private byte[] tag(PageBinding binding, byte[] body) {
    byte[] bound = binding.bytes();
    try {
      Mac mac = Mac.getInstance(MAC);
      mac.init(key);
      mac.update(VERSION);
      mac.update(new PagePosition.Writer().putInt(bound.length).toByteArray());
      mac.update(bound);
      mac.update(body);
      return Arrays.copyOf(mac.doFinal(), TAG_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  private static CairnException invalid() {
    return CairnException.invalidField(
        FIELD,
        "not a token this server issued for this request (expected: the next_page_token of the previous page,"
            + " sent by the same caller to the same list with the same filters)");
  }
}
