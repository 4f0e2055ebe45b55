package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.ListApiTokensRequest;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.AccessLink;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.AuditServiceGrpc;
import dev.cairn.vault.v1.Collection;
import dev.cairn.vault.v1.Consent;
import dev.cairn.vault.v1.CreateAccessLinkRequest;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.CreateConsentRequest;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListAccessLinksRequest;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListCollectionsRequest;
import dev.cairn.vault.v1.ListConsentsRequest;
import dev.cairn.vault.v1.ListGrantsRequest;
import dev.cairn.vault.v1.ListItemVersionsRequest;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.QueryRecordsRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.UpdateItemRequest;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every list RPC's page token, end to end over real gRPC: it walks all rows exactly once, and
 * it is refused (INVALID_ARGUMENT on {@code page_token}, never INTERNAL) when forged, damaged,
 * presented with other filters, by another user, or to another list.
 */
class PageTokenBindingTest {
  static final CairnTestServer SERVER = CairnTestServer.get();
  static final int ROWS = 5;

  /** One page as the tests see it: row names and the next token. */
  record Page(List<String> names, String next) {}

  /** What one user's seed made: the parents the X and Y requests name (lists without a parent ignore them). */
  record Seed(String parentX, String parentY) {}

  /** One list RPC: how to give a user at least ROWS rows under filter X, and how to call it with X or Y. */
  abstract static class ListRpc {
    final String name;

    ListRpc(String name) {
      this.name = name;
    }

    abstract Seed seed(TestUser user);

    abstract Page list(TestUser user, Seed seed, boolean filterY, int pageSize, String token);

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<ListRpc> lists() {
    return Stream.of(
        new ListRpc("ListItems") {
          Seed seed(TestUser user) {
            for (int i = 0; i < ROWS; i++) {
              document(user, "doc" + i, Map.of("topic", "t"));
            }
            return new Seed("", "");
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var r = vault(user).listItems(ListItemsRequest.newBuilder().addLabels("topic")
                .setShowDeleted(filterY).setPageSize(size).setPageToken(token).build());
            return new Page(r.getItemsList().stream().map(Item::getName).toList(), r.getNextPageToken());
          }
        },
        new ListRpc("ListItemVersions") {
          Seed seed(TestUser user) {
            Item item = document(user, "v", Map.of());
            for (int i = 2; i <= ROWS; i++) {
              item = vault(user).updateItem(UpdateItemRequest.newBuilder()
                  .setItem(Item.newBuilder().setName(item.getName()).setContent(ByteString.copyFromUtf8("v" + i)))
                  .setUpdateMask(FieldMask.newBuilder().addPaths("content")).setEtag(item.getEtag()).build()).getItem();
            }
            return new Seed(item.getName(), document(user, "other", Map.of()).getName());
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var r = vault(user).listItemVersions(ListItemVersionsRequest.newBuilder()
                .setParent(filterY ? seed.parentY() : seed.parentX()).setPageSize(size).setPageToken(token).build());
            return new Page(r.getItemVersionsList().stream().map(v -> Long.toString(v.getVersion())).toList(),
                r.getNextPageToken());
          }
        },
        new ListRpc("ListCollections") {
          Seed seed(TestUser user) {
            for (int i = 0; i < ROWS; i++) {
              collection(user);
            }
            return new Seed("", "");
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var r = vault(user).listCollections(ListCollectionsRequest.newBuilder()
                .setSharedWithMe(filterY).setPageSize(size).setPageToken(token).build());
            return new Page(r.getCollectionsList().stream().map(Collection::getName).toList(), r.getNextPageToken());
          }
        },
        new ListRpc("QueryRecords") {
          Seed seed(TestUser user) {
            String collection = collection(user);
            for (int i = 0; i < ROWS; i++) {
              Struct data = Struct.newBuilder().putFields("age", Value.newBuilder().setNumberValue(i).build()).build();
              vault(user).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
                  .setKind(Item.Kind.KIND_RECORD).setCollection(collection).setData(data)).build());
            }
            return new Seed(collection, collection);
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var r = vault(user).queryRecords(QueryRecordsRequest.newBuilder().setParent(seed.parentX())
                .setFilter(filterY ? "data.age >= 0" : "").setPageSize(size).setPageToken(token).build());
            return new Page(r.getRecordsList().stream().map(Item::getName).toList(), r.getNextPageToken());
          }
        },
        new ListRpc("ListGrants") {
          Seed seed(TestUser user) {
            TestUser grantee = SERVER.newUser("pt-grantee");
            for (int i = 0; i < ROWS; i++) {
              sharing(user).createGrant(CreateGrantRequest.newBuilder().setGrant(Grant.newBuilder()
                  .setGrantee(grantee.user().getName()).setTarget(document(user, "g" + i, Map.of()).getName())
                  .setRole(Role.ROLE_READ).setPurpose("test")).build());
            }
            return new Seed("", "");
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var r = sharing(user).listGrants(ListGrantsRequest.newBuilder()
                .setDirection(ListGrantsRequest.Direction.DIRECTION_GRANTED_BY_ME)
                .setShowInactive(filterY).setPageSize(size).setPageToken(token).build());
            return new Page(r.getGrantsList().stream().map(Grant::getName).toList(), r.getNextPageToken());
          }
        },
        new ListRpc("ListAccessLinks") {
          Seed seed(TestUser user) {
            String item = document(user, "linked", Map.of()).getName();
            for (int i = 0; i < ROWS; i++) {
              sharing(user).createAccessLink(CreateAccessLinkRequest.newBuilder().setAccessLink(AccessLink.newBuilder()
                  .setItem(item).setPurpose("landlord").setExpireTime(inOneDay())).build());
            }
            return new Seed("", "");
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var r = sharing(user).listAccessLinks(ListAccessLinksRequest.newBuilder()
                .setShowInactive(filterY).setPageSize(size).setPageToken(token).build());
            return new Page(r.getAccessLinksList().stream().map(AccessLink::getName).toList(), r.getNextPageToken());
          }
        },
        new ListRpc("ListConsents") {
          Seed seed(TestUser user) {
            TestUser recipient = SERVER.newUser("pt-recipient");
            for (int i = 0; i < ROWS; i++) {
              String item = document(user, "c" + i, Map.of()).getName();
              sharing(user).createConsent(CreateConsentRequest.newBuilder().setConsent(consent(recipient)
                  .setItems(Consent.ItemScope.newBuilder().addItems(item))).build());
            }
            return new Seed("", "");
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var r = sharing(user).listConsents(ListConsentsRequest.newBuilder()
                .setShowInactive(filterY).setPageSize(size).setPageToken(token).build());
            return new Page(r.getConsentsList().stream().map(Consent::getName).toList(), r.getNextPageToken());
          }
        },
        new ListRpc("ListAuditEvents") {
          Seed seed(TestUser user) {
            for (int i = 0; i < ROWS; i++) {
              document(user, "a" + i, Map.of());
            }
            return new Seed("", "");
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var request = ListAuditEventsRequest.newBuilder().setParent("users/me").setPageSize(size).setPageToken(token);
            if (filterY) {
              request.addActions(AuditEvent.Action.ACTION_ITEM_CREATE);
            }
            var r = AuditServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()))
                .listAuditEvents(request.build());
            return new Page(r.getAuditEventsList().stream().map(e -> Long.toString(e.getSeq())).toList(),
                r.getNextPageToken());
          }
        },
        new ListRpc("ListApiTokens") {
          Seed seed(TestUser user) {
            for (int i = 1; i < ROWS; i++) {
              SERVER.identity(user.token()).createApiToken(CreateApiTokenRequest.newBuilder().setParent("users/me")
                  .setDisplayName("t" + i).addScopes(TokenScope.TOKEN_SCOPE_READ).build());
            }
            return new Seed("", "");
          }

          Page list(TestUser user, Seed seed, boolean filterY, int size, String token) {
            var r = SERVER.identity(user.token()).listApiTokens(ListApiTokensRequest.newBuilder().setParent("users/me")
                .setShowInactive(filterY).setPageSize(size).setPageToken(token).build());
            return new Page(r.getApiTokensList().stream().map(t -> t.getName()).toList(), r.getNextPageToken());
          }
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lists")
  void pagingWalksEveryRowExactlyOnce(ListRpc rpc) {
    TestUser user = SERVER.newUser("pt-walk");
    Seed seed = rpc.seed(user);
    List<String> all = rpc.list(user, seed, false, 1000, "").names();
    assertThat(all).hasSizeGreaterThanOrEqualTo(ROWS);

    List<String> walked = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      Page page = rpc.list(user, seed, false, 2, token);
      walked.addAll(page.names());
      token = page.next();
      assertThat(++pages).isLessThanOrEqualTo(all.size());
    } while (!token.isEmpty());
    assertThat(walked).containsExactlyElementsOf(all);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lists")
  void tokenPresentedWithOtherFiltersIsInvalidArgument(ListRpc rpc) {
    TestUser user = SERVER.newUser("pt-filters");
    Seed seed = rpc.seed(user);
    String token = rpc.list(user, seed, false, 2, "").next();
    assertThat(token).isNotEmpty();

    assertPageTokenRefused(() -> rpc.list(user, seed, true, 2, token));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lists")
  void anotherUsersTokenIsInvalidArgumentAndSaysNothingMore(ListRpc rpc) {
    TestUser alice = SERVER.newUser("pt-alice");
    TestUser mallory = SERVER.newUser("pt-mallory");
    Seed aliceSeed = rpc.seed(alice);
    Seed mallorySeed = rpc.seed(mallory);
    String malloryToken = rpc.list(mallory, mallorySeed, false, 2, "").next();

    var replayed = assertPageTokenRefused(() -> rpc.list(alice, aliceSeed, false, 2, malloryToken));
    var garbage = assertPageTokenRefused(() -> rpc.list(alice, aliceSeed, false, 2, "garbage"));
    assertThat(replayed.getStatus().getDescription()).isEqualTo(garbage.getStatus().getDescription());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lists")
  void tokenOfAnotherListIsInvalidArgument(ListRpc rpc) {
    TestUser user = SERVER.newUser("pt-cross");
    Seed seed = rpc.seed(user);
    for (int i = 0; i < 2; i++) {
      collection(user);
      document(user, "cross" + i, Map.of());
    }
    var collections = vault(user).listCollections(ListCollectionsRequest.newBuilder().setPageSize(1).build());
    var items = vault(user).listItems(ListItemsRequest.newBuilder().setPageSize(1).build());
    String foreign = rpc.name.equals("ListCollections") ? items.getNextPageToken() : collections.getNextPageToken();
    assertThat(foreign).isNotEmpty();

    assertPageTokenRefused(() -> rpc.list(user, seed, false, 2, foreign));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lists")
  void forgedOrDamagedTokensAreInvalidArgumentNeverInternal(ListRpc rpc) {
    TestUser user = SERVER.newUser("pt-forged");
    Seed seed = rpc.seed(user);
    String real = rpc.list(user, seed, false, 2, "").next();
    byte[] raw = Base64.getUrlDecoder().decode(real);
    byte[] flipped = raw.clone();
    flipped[flipped.length / 2] ^= 0x01;
    byte[] random = new byte[48];
    new SecureRandom().nextBytes(random);

    List<String> forged = List.of(
        b64("v1:99999999999999999:0:" + UUID.randomUUID()),
        b64("v1:-99999999999999999:999999999:" + UUID.randomUUID()),
        b64("v1:" + Instant.now().getEpochSecond() + ":0:" + UUID.randomUUID()),
        b64("a1:9223372036854775807:AAAAAAAAAAAAAAAA"),
        b64("r1|binding|=1|" + UUID.randomUUID()),
        Base64.getUrlEncoder().withoutPadding().encodeToString(random),
        Base64.getUrlEncoder().withoutPadding().encodeToString(flipped),
        real.substring(0, real.length() - 3),
        real + "AAAA",
        "!!not base64!!",
        "A");
    for (String token : forged) {
      assertPageTokenRefused(token, () -> rpc.list(user, seed, false, 2, token));
    }
  }

  // ------------------------------------------------------------------ helpers

  interface Call {
    void run();
  }

  static StatusRuntimeException assertPageTokenRefused(Call call) {
    return assertPageTokenRefused("the token", call);
  }

  static StatusRuntimeException assertPageTokenRefused(String token, Call call) {
    var e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("%s was accepted", token).isNotNull();
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolationsList())
        .extracting(v -> v.getField()).containsExactly("page_token");
    return e;
  }

  static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static VaultServiceGrpc.VaultServiceBlockingStub vault(TestUser user) {
    return VaultServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  static SharingServiceGrpc.SharingServiceBlockingStub sharing(TestUser user) {
    return SharingServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  static Item document(TestUser user, String name, Map<String, String> labels) {
    return vault(user).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT).setDisplayName(name).setMediaType("text/plain")
        .putAllLabels(labels).setContent(ByteString.copyFromUtf8(name))).build()).getItem();
  }

  static String collection(TestUser user) {
    return vault(user).createCollection(CreateCollectionRequest.newBuilder().setCollection(Collection.newBuilder()
        .setDisplayName("people")
        .setJsonSchema("{\"type\":\"object\",\"x-cairn-queryable\":[\"age\"],\"properties\":{\"age\":{\"type\":\"number\"}}}"))
        .build()).getCollection().getName();
  }

  static Timestamp inOneDay() {
    return Timestamp.newBuilder().setSeconds(now().getEpochSecond() + 86_400).build();
  }

  private static Instant now() {
    return CairnTestServer.CLOCK.instant();
  }

  static Consent.Builder consent(TestUser recipient) {
    return Consent.newBuilder()
        .setRecipient(recipient.user().getName())
        .setPurpose("assess my mortgage application")
        .addPurposeCategories("Contracting")
        .addPiiCategories("Financial")
        .setRole(Role.ROLE_READ)
        .setEndTime(Timestamp.newBuilder().setSeconds(now().getEpochSecond() + 30 * 86_400))
        .setAgreement(Consent.Agreement.newBuilder().setAgreed(true).setText("I agree to share")
            .setTextVersion("v3").setCollectionMethod("cairn CLI"));
  }
}
