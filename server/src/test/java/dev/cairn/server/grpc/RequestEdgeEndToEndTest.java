package dev.cairn.server.grpc;

import static dev.cairn.server.testing.CairnTestServer.badRequest;
import static dev.cairn.server.testing.CairnTestServer.bearer;
import static dev.cairn.server.testing.CairnTestServer.errorInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.AccessLink;
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
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.QueryRecordsRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * What the request edge does with input no handler should ever see: out-of-range times,
 * NUL characters, non-finite numbers, bytes that are not the message they claim to be, and
 * credentials longer than any token. Real gRPC over Netty; every answer is a client error,
 * never INTERNAL or UNKNOWN.
 */
class RequestEdgeEndToEndTest {
  private static final CairnTestServer SERVER = CairnTestServer.get();
  /** 0001-01-01T00:00:00Z minus one second: the first instant a Timestamp may not hold. */
  private static final long BEFORE_YEAR_ONE = -62_135_596_801L;

  private static StatusRuntimeException failure(ThrowingCallable call) {
    var e = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(e).as("the call should have failed").isNotNull();
    return e;
  }

  /** INVALID_ARGUMENT with a BadRequest violation on {@code field} whose description has {@code fragment}. */
  private static void assertInvalid(ThrowingCallable call, String field, String fragment) {
    var e = failure(call);
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("INVALID_ARGUMENT");
    assertThat(badRequest(e).orElseThrow().getFieldViolationsList())
        .anySatisfy(v -> {
          assertThat(v.getField()).isEqualTo(field);
          assertThat(v.getDescription()).contains(fragment);
        });
  }

  private static VaultServiceGrpc.VaultServiceBlockingStub vault(TestUser user) {
    return VaultServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(bearer(user.token()));
  }

  private static SharingServiceGrpc.SharingServiceBlockingStub sharing(TestUser user) {
    return SharingServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(bearer(user.token()));
  }

  private static AuditServiceGrpc.AuditServiceBlockingStub audit(TestUser user) {
    return AuditServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(bearer(user.token()));
  }

  private static String document(TestUser owner) {
    return vault(owner).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
            .setKind(Item.Kind.KIND_DOCUMENT).setDisplayName("doc").setMediaType("text/plain")
            .setContent(ByteString.copyFromUtf8("hello"))).build())
        .getItem().getName();
  }

  private static Timestamp seconds(long seconds) {
    return Timestamp.newBuilder().setSeconds(seconds).build();
  }

  private static Timestamp tomorrow() {
    Instant t = SERVER.CLOCK.instant().plus(1, ChronoUnit.DAYS);
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).build();
  }

  private static Consent.Builder consent(TestUser recipient, String item) {
    return Consent.newBuilder()
        .setRecipient(recipient.user().getName())
        .setPurpose("assess my application")
        .addPurposeCategories("Contracting")
        .addPiiCategories("Financial")
        .setRole(Role.ROLE_READ)
        .setEndTime(tomorrow())
        .setAgreement(Consent.Agreement.newBuilder().setAgreed(true).setText("I agree")
            .setTextVersion("v1").setCollectionMethod("test"))
        .setJurisdiction("NO")
        .setPolicyUrl("https://example.com/privacy")
        .setItems(Consent.ItemScope.newBuilder().addItems(item));
  }

  @Test
  void outOfRangeTimestampsAreInvalidArgumentNamingTheField() {
    TestUser owner = SERVER.newUser("edge-time");
    TestUser friend = SERVER.newUser("edge-time-friend");
    String item = document(owner);
    var list = ListAuditEventsRequest.newBuilder().setParent("users/me");

    assertInvalid(() -> audit(owner).listAuditEvents(list.clone().setStartTime(seconds(Long.MAX_VALUE)).build()),
        "start_time", "0001-01-01");
    assertInvalid(() -> audit(owner).listAuditEvents(list.clone().setEndTime(seconds(Long.MIN_VALUE)).build()),
        "end_time", "0001-01-01");
    assertInvalid(() -> audit(owner).listAuditEvents(list.clone().setStartTime(seconds(BEFORE_YEAR_ONE)).build()),
        "start_time", "0001-01-01");
    assertInvalid(() -> audit(owner).listAuditEvents(
            list.clone().setStartTime(Timestamp.newBuilder().setSeconds(0).setNanos(-1)).build()),
        "start_time", "nanos");
    assertInvalid(() -> sharing(owner).createGrant(CreateGrantRequest.newBuilder()
            .setGrant(Grant.newBuilder().setGrantee(friend.user().getName()).setTarget(item)
                .setRole(Role.ROLE_READ).setPurpose("p").setExpireTime(seconds(Long.MAX_VALUE))).build()),
        "grant.expire_time", "0001-01-01");
    assertInvalid(() -> sharing(owner).createConsent(CreateConsentRequest.newBuilder()
            .setConsent(consent(friend, item).setEndTime(seconds(Long.MAX_VALUE))).build()),
        "consent.end_time", "0001-01-01");
    assertInvalid(() -> sharing(owner).createConsent(CreateConsentRequest.newBuilder()
            .setConsent(consent(friend, item).setStartTime(seconds(Long.MIN_VALUE))).build()),
        "consent.start_time", "0001-01-01");
    assertInvalid(() -> sharing(owner).createAccessLink(CreateAccessLinkRequest.newBuilder()
            .setAccessLink(AccessLink.newBuilder().setItem(item).setExpireTime(seconds(Long.MAX_VALUE))).build()),
        "access_link.expire_time", "0001-01-01");
  }

  @Test
  void invalidDurationsAreInvalidArgumentNamingTheField() {
    TestUser user = SERVER.newUser("edge-dur");
    assertInvalid(() -> SERVER.admin().createApiToken(CreateApiTokenRequest.newBuilder()
            .setParent(user.user().getName()).setDisplayName("t").addScopes(TokenScope.TOKEN_SCOPE_READ)
            .setTtl(Duration.newBuilder().setSeconds(3600).setNanos(-1)).build()),
        "ttl", "nanos");
    assertInvalid(() -> SERVER.admin().createApiToken(CreateApiTokenRequest.newBuilder()
            .setParent(user.user().getName()).setDisplayName("t").addScopes(TokenScope.TOKEN_SCOPE_READ)
            .setTtl(Duration.newBuilder().setSeconds(Long.MAX_VALUE)).build()),
        "ttl", "seconds");
  }

  @Test
  void nulCharactersInAnyTextAreInvalidArgumentNamingTheField() {
    TestUser owner = SERVER.newUser("edge-nul");
    TestUser friend = SERVER.newUser("edge-nul-friend");
    String item = document(owner);
    Item.Builder doc = Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setDisplayName("doc")
        .setMediaType("text/plain").setContent(ByteString.copyFromUtf8("x"));

    assertInvalid(() -> vault(owner).createItem(CreateItemRequest.newBuilder()
        .setItem(doc.clone().setDisplayName("a\u0000b")).build()), "item.display_name", "U+0000");
    assertInvalid(() -> vault(owner).createItem(CreateItemRequest.newBuilder()
        .setItem(doc.clone().putLabels("k", "v\u0000")).build()), "item.labels[\"k\"]", "U+0000");
    assertInvalid(() -> vault(owner).createItem(CreateItemRequest.newBuilder()
        .setItem(doc.clone().putLabels("k\u0000", "v")).build()), "item.labels", "U+0000");
    assertInvalid(() -> sharing(owner).createConsent(CreateConsentRequest.newBuilder()
            .setConsent(consent(friend, item).setPurpose("to\u0000do")).build()),
        "consent.purpose", "U+0000");
    assertInvalid(() -> sharing(owner).createConsent(CreateConsentRequest.newBuilder()
            .setConsent(consent(friend, item).setAgreement(Consent.Agreement.newBuilder().setAgreed(true)
                .setText("I\u0000agree").setTextVersion("v1").setCollectionMethod("test"))).build()),
        "consent.agreement.text", "U+0000");

    String collection = vault(owner).createCollection(CreateCollectionRequest.newBuilder()
        .setCollection(Collection.newBuilder().setDisplayName("c")).build()).getCollection().getName();
    Struct nulString = Struct.newBuilder()
        .putFields("name", Value.newBuilder().setStringValue("Ada\u0000").build()).build();
    assertInvalid(() -> vault(owner).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD).setCollection(collection).setData(nulString)).build()),
        "item.data[\"name\"]", "U+0000");
    Struct nulKey = Struct.newBuilder()
        .putFields("na\u0000me", Value.newBuilder().setStringValue("Ada").build()).build();
    assertInvalid(() -> vault(owner).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD).setCollection(collection).setData(nulKey)).build()),
        "item.data", "U+0000");
    assertInvalid(() -> vault(owner).queryRecords(QueryRecordsRequest.newBuilder()
        .setParent(collection).setFilter("name = \"a\u0000\"").build()), "filter", "U+0000");
  }

  @Test
  void nonFiniteNumbersInRecordDataAreInvalidArgumentNamingTheField() {
    TestUser owner = SERVER.newUser("edge-nan");
    String collection = vault(owner).createCollection(CreateCollectionRequest.newBuilder()
        .setCollection(Collection.newBuilder().setDisplayName("c")).build()).getCollection().getName();
    Struct nan = Struct.newBuilder().putFields("n", Value.newBuilder().setNumberValue(Double.NaN).build()).build();
    assertInvalid(() -> vault(owner).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD).setCollection(collection).setData(nan)).build()),
        "item.data[\"n\"]", "finite");
    Struct infinite = Struct.newBuilder().putFields("xs", Value.newBuilder().setListValue(ListValue.newBuilder()
        .addValues(Value.newBuilder().setNumberValue(1))
        .addValues(Value.newBuilder().setNumberValue(Double.NEGATIVE_INFINITY))).build()).build();
    assertInvalid(() -> vault(owner).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD).setCollection(collection).setData(infinite)).build()),
        "item.data[\"xs\"][1]", "finite");
  }

  // ------------------------------------------------------------------ malformed bytes

  /** Sends {@code body} as the request of {@code method} as it is, authenticated as {@code token}. */
  private static StatusRuntimeException sendRaw(MethodDescriptor<?, ?> method, byte[] body, String token) {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
    return failure(() -> ClientCalls.blockingUnaryCall(
        SERVER.channel(), raw, CallOptions.DEFAULT.withCallCredentials(bearer(token)), body));
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private static void assertMalformed(StatusRuntimeException e) {
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("INVALID_ARGUMENT");
    assertThat(e.getStatus().getDescription()).contains("not a valid");
  }

  @Test
  void malformedRequestBytesAreInvalidArgumentNeverUnknown() {
    TestUser user = SERVER.newUser("edge-bytes");
    var getUser = IdentityServiceGrpc.getGetUserMethod();
    // field 1 (name), length 2, bytes C3 28: not UTF-8
    assertMalformed(sendRaw(getUser, new byte[] {0x0A, 0x02, (byte) 0xC3, 0x28}, user.token()));
    // field 1 (name), length 5, but only one byte follows
    assertMalformed(sendRaw(getUser, new byte[] {0x0A, 0x05, 'u'}, user.token()));
    // a tag with wire type 7, which does not exist
    assertMalformed(sendRaw(getUser, new byte[] {0x0F}, user.token()));
    // a correct message still works through the same path
    assertThat(IdentityServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(bearer(user.token()))
        .getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser().getName())
        .isEqualTo(user.user().getName());
  }

  @Test
  void recordsNestedBeyondTheParserLimitAreInvalidArgument() {
    TestUser owner = SERVER.newUser("edge-deep");
    String collection = vault(owner).createCollection(CreateCollectionRequest.newBuilder()
        .setCollection(Collection.newBuilder().setDisplayName("c")).build()).getCollection().getName();
    Struct data = Struct.newBuilder().putFields("leaf", Value.newBuilder().setBoolValue(true).build()).build();
    for (int i = 0; i < 40; i++) {
      data = Struct.newBuilder().putFields("a", Value.newBuilder().setStructValue(data).build()).build();
    }
    Struct deep = data;
    var e = failure(() -> vault(owner).createItem(CreateItemRequest.newBuilder().setItem(Item.newBuilder()
        .setKind(Item.Kind.KIND_RECORD).setCollection(collection).setData(deep)).build()));
    assertMalformed(e);
    assertThat(e.getStatus().getDescription()).contains("nesting");
  }

  @Test
  void malformedBytesFromAnUnauthenticatedCallerAreStillUnauthenticated() {
    var e = failure(() -> ClientCalls.blockingUnaryCall(SERVER.channel(),
        MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(IdentityServiceGrpc.getGetUserMethod().getFullMethodName())
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build(),
        CallOptions.DEFAULT, new byte[] {0x0F}));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  // ------------------------------------------------------------------ credentials

  @Test
  void overLongAuthorizationHeaderIsUnauthenticated() {
    for (int length : new int[] {9_000, 40_000}) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + "x".repeat(length));
      var stub = IdentityServiceGrpc.newBlockingStub(SERVER.channel())
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      var e = failure(() -> stub.getUser(GetUserRequest.newBuilder().setName("users/me").build()));
      assertThat(e.getStatus().getCode()).as(length + ": " + e.getStatus()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("CREDENTIAL_INVALID");
    }
    // the channel is still usable afterwards
    TestUser user = SERVER.newUser("edge-auth");
    assertThat(IdentityServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(bearer(user.token()))
        .getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser().getName())
        .isEqualTo(user.user().getName());
  }
}
