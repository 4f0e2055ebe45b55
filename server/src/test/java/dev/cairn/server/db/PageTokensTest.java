package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PageTokensTest {
  static final UUID ALICE = UUID.randomUUID();
  static final UUID MALLORY = UUID.randomUUID();
  static final byte[] KEY = new byte[32];

  final PageTokens codec = new PageTokens(KEY);
  final PageToken position = new PageToken(OffsetDateTime.of(2025, 3, 1, 12, 0, 0, 123_456_000, ZoneOffset.UTC), UUID.randomUUID());

  static Principal user(UUID id) {
    return Principal.user(id, UUID.randomUUID(), Set.of(Principal.Scope.READ));
  }

  static PageBinding grants(UUID caller, boolean showInactive) {
    return PageBinding.of(user(caller), "ListGrants").with("user", null).with("show_inactive", showInactive);
  }

  @Test
  void roundTripsThePositionForTheSameBinding() {
    String token = codec.encode(grants(ALICE, false), position);
    // each grants() call is another API token of Alice's: the same caller
    assertThat(codec.decode(token, grants(ALICE, false), PageToken::read)).isEqualTo(position);
    assertThat(token).matches("[A-Za-z0-9_-]+").hasSizeLessThan(80);
  }

  @Test
  void emptyTokenIsTheFirstPage() {
    assertThat(codec.decode("", grants(ALICE, false), PageToken::read)).isNull();
  }

  @Test
  void aTokenIsRefusedForAnyOtherCallerMethodOrFilter() {
    String token = codec.encode(grants(ALICE, false), position);
    List<PageBinding> others = List.of(
        grants(MALLORY, false),
        grants(ALICE, true),
        PageBinding.of(user(ALICE), "ListConsents").with("user", null).with("show_inactive", false),
        PageBinding.of(Principal.forAdmin(), "ListGrants").with("user", null).with("show_inactive", false),
        PageBinding.of(user(ALICE), "ListGrants").with("user", "null").with("show_inactive", false),
        PageBinding.of(user(ALICE), "ListGrants").with("usr", null).with("show_inactive", false),
        PageBinding.of(user(ALICE), "ListGrants").with("user", null),
        PageBinding.of(user(ALICE), "ListGrants").with("user", null).with("show_inactive", false).with("x", null));
    for (PageBinding other : others) {
      assertRefused(() -> codec.decode(token, other, PageToken::read));
    }
  }

  @Test
  void listValuesAreBoundElementByElement() {
    PageBinding one = PageBinding.of(user(ALICE), "ListItems").with("labels", List.of("a=x, b"));
    String token = codec.encode(one, position);
    assertRefused(() -> codec.decode(token, PageBinding.of(user(ALICE), "ListItems").with("labels", List.of("a=x", "b")),
        PageToken::read));
    assertRefused(() -> codec.decode(token, PageBinding.of(user(ALICE), "ListItems").with("labels", "[a=x, b]"),
        PageToken::read));
  }

  @Test
  void aTokenOfAnotherKeyIsRefused() {
    byte[] otherKey = new byte[32];
    otherKey[0] = 1;
    String token = new PageTokens(otherKey).encode(grants(ALICE, false), position);
    assertRefused(() -> codec.decode(token, grants(ALICE, false), PageToken::read));
  }

  @Test
  void theSameKeyAcceptsTheTokenOnAnotherReplicaAndTheDerivedKeyIsStable() {
    byte[] secret = "the audit hmac key of every replica".getBytes(StandardCharsets.UTF_8);
    String token = PageTokens.derivedFrom(secret).encode(grants(ALICE, false), position);
    assertThat(PageTokens.derivedFrom(secret.clone()).decode(token, grants(ALICE, false), PageToken::read)).isEqualTo(position);
    // derivation separates the page-token key from the secret it comes from
    assertRefused(() -> new PageTokens(java.util.Arrays.copyOf(secret, 32)).decode(token, grants(ALICE, false), PageToken::read));
  }

  @Test
  void everyTruncationAndEveryFlippedBitIsRefused() {
    String token = codec.encode(grants(ALICE, false), position);
    byte[] raw = Base64.getUrlDecoder().decode(token);
    for (int length = 0; length < raw.length; length++) {
      String cut = b64(java.util.Arrays.copyOf(raw, length));
      if (!cut.isEmpty()) {
        assertRefused(() -> codec.decode(cut, grants(ALICE, false), PageToken::read));
      }
    }
    for (int bit = 0; bit < raw.length * 8; bit++) {
      byte[] flipped = raw.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      String damaged = b64(flipped);
      assertRefused(() -> codec.decode(damaged, grants(ALICE, false), PageToken::read));
    }
  }

  @Test
  void unsignedOrRandomInputIsAlwaysInvalidArgument() {
    List<String> forged = new ArrayList<>(List.of(
        "garbage", "!!", "A", "AA", "====",
        b64(("v1:99999999999999999:0:" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8)),
        b64(new byte[] {1})));
    var random = new Random(42);
    for (int i = 0; i < 2000; i++) {
      byte[] bytes = new byte[random.nextInt(80)];
      random.nextBytes(bytes);
      if (bytes.length > 0) {
        bytes[0] = 1; // the version byte, so the MAC check is what refuses it
      }
      forged.add(b64(bytes));
    }
    for (String token : forged) {
      if (!token.isEmpty()) {
        assertRefused(() -> codec.decode(token, grants(ALICE, false), PageToken::read));
      }
    }
  }

  @Test
  void anAuthenticTokenThatDoesNotReadAsThePositionIsInvalidArgument() {
    // same key and binding, but a position this list does not read (an out-of-range time)
    String token = codec.encode(grants(ALICE, false), out -> out.putLong(Long.MAX_VALUE).putInt(0).putUuid(UUID.randomUUID()));
    assertRefused(() -> codec.decode(token, grants(ALICE, false), PageToken::read));
    String longer = codec.encode(grants(ALICE, false), out -> position.writeTo(out.putByte(7)));
    assertRefused(() -> codec.decode(longer, grants(ALICE, false), PageToken::read));
  }

  @Test
  void pageCutsAtTheLimitAndNamesTheLastRowKept() {
    List<PageToken> rows = List.of(position, new PageToken(position.time(), UUID.randomUUID()), position);
    var page = codec.page(rows, 2, grants(ALICE, false), r -> r);
    assertThat(page.rows()).containsExactlyElementsOf(rows.subList(0, 2));
    assertThat(codec.decode(page.nextPageToken(), grants(ALICE, false), PageToken::read)).isEqualTo(rows.get(1));
    assertThat(codec.page(rows, 3, grants(ALICE, false), r -> r).nextPageToken()).isEmpty();
  }

  static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(CairnException.class);
    CairnException e = (CairnException) thrown;
    assertThat(e.kind()).isEqualTo(CairnException.Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).startsWith("page_token: ");
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
