package dev.cairn.server.identity;

import static dev.cairn.server.testing.CairnTestServer.badRequest;
import static dev.cairn.server.testing.CairnTestServer.errorInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Duration;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.DeleteUserRequest;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.ListApiTokensRequest;
import dev.cairn.identity.v1.RevokeApiTokenRequest;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Identity through real gRPC over Netty against a real PostgreSQL. */
class IdentityEndToEndTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  private static GetUserRequest me() {
    return GetUserRequest.newBuilder().setName("users/me").build();
  }

  private static StatusRuntimeException failure(Runnable call) {
    return catchThrowableOfType(StatusRuntimeException.class, call::run);
  }

  @Test
  void getUserMeAnswersWithTheCaller() {
    TestUser alice = cairn.newUser("alice");
    User me = cairn.identity(alice.token()).getUser(me()).getUser();
    assertThat(me.getName()).isEqualTo(alice.user().getName());
    assertThat(me.getUsername()).isEqualTo(alice.user().getUsername());
  }

  @Test
  void callWithoutTokenIsUnauthenticated() {
    var e = failure(() -> IdentityServiceGrpc.newBlockingStub(cairn.channel()).getUser(me()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(errorInfo(e)).get().satisfies(i -> {
      assertThat(i.getReason()).isEqualTo("CREDENTIAL_MISSING");
      assertThat(i.getDomain()).isEqualTo("cairn.dev");
    });
  }

  @Test
  void wrongSecretIsUnauthenticated() {
    TestUser alice = cairn.newUser("alice");
    String wrong = alice.token().substring(0, alice.token().length() - 4) + "0000";
    var e = failure(() -> cairn.identity(wrong).getUser(me()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("CREDENTIAL_INVALID");
  }

  @Test
  void garbageTokenIsUnauthenticated() {
    var e = failure(() -> cairn.identity("not-a-token").getUser(me()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void revokedTokenIsUnauthenticatedOnTheNextCall() {
    TestUser alice = cairn.newUser("alice");
    var created =
        cairn.identity(alice.token())
            .createApiToken(CreateApiTokenRequest.newBuilder().setParent("users/me")
                .addScopes(TokenScope.TOKEN_SCOPE_READ).build());
    assertThat(cairn.identity(created.getToken()).getUser(me()).getUser().getName())
        .isEqualTo(alice.user().getName());

    cairn.identity(alice.token())
        .revokeApiToken(RevokeApiTokenRequest.newBuilder().setName(created.getApiToken().getName()).build());

    var e = failure(() -> cairn.identity(created.getToken()).getUser(me()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("TOKEN_REVOKED");
  }

  @Test
  void expiredTokenIsUnauthenticated() {
    TestUser alice = cairn.newUser("alice");
    var created =
        cairn.identity(alice.token())
            .createApiToken(CreateApiTokenRequest.newBuilder().setParent("users/me")
                .addScopes(TokenScope.TOKEN_SCOPE_READ)
                .setTtl(Duration.newBuilder().setSeconds(3600)).build());
    assertThat(cairn.identity(created.getToken()).getUser(me()).hasUser()).isTrue();
    try {
      CairnTestServer.CLOCK.advance(java.time.Duration.ofHours(2));
      var e = failure(() -> cairn.identity(created.getToken()).getUser(me()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("TOKEN_EXPIRED");
    } finally {
      CairnTestServer.CLOCK.reset();
    }
  }

  @Test
  void nonAdminCannotCreateUsers() {
    TestUser alice = cairn.newUser("alice");
    var e = failure(() -> cairn.identity(alice.token()).createUser(
        CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername("mallory")).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void readOnlyTokenCannotWrite() {
    TestUser alice = cairn.newUser("alice");
    String readOnly = cairn.identity(alice.token())
        .createApiToken(CreateApiTokenRequest.newBuilder().setParent("users/me")
            .addScopes(TokenScope.TOKEN_SCOPE_READ).build()).getToken();
    assertThat(cairn.identity(readOnly).getUser(me()).hasUser()).isTrue();
    var e = failure(() -> cairn.identity(readOnly).createApiToken(CreateApiTokenRequest.newBuilder()
        .setParent("users/me").addScopes(TokenScope.TOKEN_SCOPE_READ).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void invalidRequestListsFieldViolations() {
    TestUser alice = cairn.newUser("alice");
    var e = failure(() -> cairn.identity(alice.token()).getUser(GetUserRequest.newBuilder().setName("bad").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("INVALID_ARGUMENT");
    assertThat(badRequest(e).orElseThrow().getFieldViolationsList())
        .extracting(v -> v.getField())
        .containsExactly("name");
  }

  @Test
  void tokenWithoutScopesIsRejectedWithFieldViolation() {
    TestUser alice = cairn.newUser("alice");
    var e = failure(() -> cairn.identity(alice.token()).createApiToken(
        CreateApiTokenRequest.newBuilder().setParent("users/me").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(badRequest(e).orElseThrow().getFieldViolationsList())
        .extracting(v -> v.getField()).contains("scopes");
  }

  @Test
  void anotherUserIsNotFoundNotForbidden() {
    TestUser alice = cairn.newUser("alice");
    TestUser bob = cairn.newUser("bob");
    var e = failure(() -> cairn.identity(bob.token()).getUser(
        GetUserRequest.newBuilder().setName(alice.user().getName()).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    var absent = failure(() -> cairn.identity(bob.token()).getUser(
        GetUserRequest.newBuilder().setName("users/" + UUID.randomUUID()).build()));
    assertThat(absent.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo(errorInfo(absent).orElseThrow().getReason());
  }

  @Test
  void anotherUsersTokensCannotBeListedOrRevoked() {
    TestUser alice = cairn.newUser("alice");
    TestUser bob = cairn.newUser("bob");
    var aliceTokens = cairn.identity(alice.token())
        .listApiTokens(ListApiTokensRequest.newBuilder().setParent("users/me").build());
    String aliceToken = aliceTokens.getApiTokens(0).getName();
    var list = failure(() -> cairn.identity(bob.token())
        .listApiTokens(ListApiTokensRequest.newBuilder().setParent(alice.user().getName()).build()));
    assertThat(list.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    var revoke = failure(() -> cairn.identity(bob.token()).revokeApiToken(
        RevokeApiTokenRequest.newBuilder().setName(aliceToken).build()));
    assertThat(revoke.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    // and bob's own list holds only his token
    assertThat(cairn.identity(bob.token())
        .listApiTokens(ListApiTokensRequest.newBuilder().setParent("users/me").build()).getApiTokensList())
        .hasSize(1)
        .allSatisfy(t -> assertThat(t.getName()).startsWith(bob.user().getName()));
  }

  @Test
  void listApiTokensPagesWithoutDuplicates() {
    TestUser alice = cairn.newUser("alice");
    for (int i = 0; i < 6; i++) {
      cairn.identity(alice.token()).createApiToken(CreateApiTokenRequest.newBuilder()
          .setParent("users/me").setDisplayName("t" + i).addScopes(TokenScope.TOKEN_SCOPE_READ).build());
    }
    var names = new ArrayList<String>();
    String pageToken = "";
    int pages = 0;
    do {
      var page = cairn.identity(alice.token()).listApiTokens(ListApiTokensRequest.newBuilder()
          .setParent("users/me").setPageSize(2).setPageToken(pageToken).build());
      page.getApiTokensList().forEach(t -> names.add(t.getName()));
      pageToken = page.getNextPageToken();
      pages++;
    } while (!pageToken.isEmpty());
    assertThat(names).hasSize(7).doesNotHaveDuplicates();
    assertThat(pages).isEqualTo(4);
  }

  @Test
  void concurrentCreateUserWithOneRequestIdMakesOneUser() throws Exception {
    String requestId = UUID.randomUUID().toString();
    String username = "dup-" + requestId.substring(0, 8);
    var request = CreateUserRequest.newBuilder()
        .setUser(User.newBuilder().setUsername(username)).setRequestId(requestId).build();
    List<Callable<String>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(() -> cairn.admin().createUser(request).getUser().getName());
    }
    try (var pool = Executors.newFixedThreadPool(8)) {
      var names = new HashSet<String>();
      for (Future<String> f : pool.invokeAll(calls)) {
        names.add(f.get());
      }
      assertThat(names).hasSize(1);
    }
  }

  @Test
  void takenUsernameIsAlreadyExists() {
    TestUser alice = cairn.newUser("alice");
    var e = failure(() -> cairn.admin().createUser(CreateUserRequest.newBuilder()
        .setUser(User.newBuilder().setUsername(alice.user().getUsername())).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
  }

  @Test
  void deletedUsersTokensStopWorking() {
    TestUser alice = cairn.newUser("alice");
    cairn.identity(alice.token()).deleteUser(DeleteUserRequest.newBuilder().setName("users/me").build());
    var e = failure(() -> cairn.identity(alice.token()).getUser(me()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void usingATokenRecordsItsLastUseButNeverReturnsItsSecret() {
    TestUser alice = cairn.newUser("alice");
    cairn.identity(alice.token()).getUser(me());
    var tokens = cairn.identity(alice.token())
        .listApiTokens(ListApiTokensRequest.newBuilder().setParent("users/me").build()).getApiTokensList();
    assertThat(tokens).hasSize(1);
    assertThat(tokens.get(0).hasLastUseTime()).isTrue();
    assertThat(tokens.get(0).toString()).doesNotContain(alice.token().substring(alice.token().lastIndexOf('_') + 1));
  }

  @Test
  void wordsTheApiGivesMeaningToAreNeverUsernames() {
    for (String reserved : List.of("me", "admin", "system", "anonymous", "abcdef01-2345-6789-abcd-ef0123456789")) {
      var e = failure(() -> cairn.admin().createUser(
          CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername(reserved)).build()));
      assertThat(e.getStatus().getCode()).as(reserved).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(badRequest(e).orElseThrow().getFieldViolationsList())
          .anySatisfy(v -> {
            assertThat(v.getField()).isEqualTo("user.username");
            assertThat(v.getDescription()).contains("reserved");
          });
    }
  }
}
