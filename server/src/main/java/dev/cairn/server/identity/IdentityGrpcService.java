package dev.cairn.server.identity;

import dev.cairn.server.core.ResourceNames;
import static java.util.Objects.requireNonNull;

import dev.cairn.identity.v1.ApiToken;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateApiTokenResponse;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.CreateUserResponse;
import dev.cairn.identity.v1.DeleteUserRequest;
import dev.cairn.identity.v1.DeleteUserResponse;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.GetUserResponse;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.ListApiTokensRequest;
import dev.cairn.identity.v1.ListApiTokensResponse;
import dev.cairn.identity.v1.RevokeApiTokenRequest;
import dev.cairn.identity.v1.RevokeApiTokenResponse;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.grpc.CallContext;
import dev.cairn.server.core.Principal;
import dev.cairn.server.grpc.ProtoTime;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.UUID;

/** {@code cairn.identity.v1.IdentityService}: proto in, domain calls, proto out. */
public final class IdentityGrpcService extends IdentityServiceGrpc.IdentityServiceImplBase {
  private final IdentityService service;

  public IdentityGrpcService(IdentityService service) {
    this.service = requireNonNull(service, "service");
  }

  @Override
  public void createUser(CreateUserRequest request, StreamObserver<CreateUserResponse> response) {
    User user = request.getUser();
    Usernames.check(user.getUsername());
    UUID requestId = ResourceNames.requestId(request.getRequestId());
    var created =
        service.createUser(CallContext.principal(), user.getUsername(), user.getDisplayName(), requestId);
    response.onNext(CreateUserResponse.newBuilder().setUser(toProto(created)).build());
    response.onCompleted();
  }

  @Override
  public void getUser(GetUserRequest request, StreamObserver<GetUserResponse> response) {
    var user = service.getUser(CallContext.principal(), UserRef.parse(request.getName()));
    response.onNext(GetUserResponse.newBuilder().setUser(toProto(user)).build());
    response.onCompleted();
  }

  @Override
  public void deleteUser(DeleteUserRequest request, StreamObserver<DeleteUserResponse> response) {
    service.deleteUser(CallContext.caller(), UserRef.parse(request.getName()));
    response.onNext(DeleteUserResponse.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void createApiToken(
      CreateApiTokenRequest request, StreamObserver<CreateApiTokenResponse> response) {
    List<Principal.Scope> scopes = request.getScopesList().stream().map(IdentityGrpcService::scope).toList();
    var created =
        service.createToken(
            CallContext.principal(),
            UserRef.parse(request.getParent()),
            request.getDisplayName(),
            scopes,
            request.hasTtl() ? ProtoTime.duration(request.getTtl()) : null);
    response.onNext(
        CreateApiTokenResponse.newBuilder()
            .setApiToken(toProto(created.token()))
            .setToken(created.bearer())
            .build());
    response.onCompleted();
  }

  @Override
  public void listApiTokens(
      ListApiTokensRequest request, StreamObserver<ListApiTokensResponse> response) {
    var page =
        service.listTokens(
            CallContext.principal(),
            UserRef.parse(request.getParent()),
            request.getShowInactive(),
            request.getPageSize(),
            request.getPageToken());
    var out = ListApiTokensResponse.newBuilder().setNextPageToken(page.nextPageToken());
    page.tokens().forEach(t -> out.addApiTokens(toProto(t)));
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void revokeApiToken(
      RevokeApiTokenRequest request, StreamObserver<RevokeApiTokenResponse> response) {
    String[] parts = request.getName().split("/");
    var owner = UserRef.parse(parts[0] + "/" + parts[1]);
    var token = service.revokeToken(CallContext.principal(), owner, request.getName(), parts[3]);
    response.onNext(RevokeApiTokenResponse.newBuilder().setApiToken(toProto(token)).build());
    response.onCompleted();
  }

  private static Principal.Scope scope(TokenScope scope) {
    return switch (scope) {
      case TOKEN_SCOPE_READ -> Principal.Scope.READ;
      case TOKEN_SCOPE_WRITE -> Principal.Scope.WRITE;
      default -> throw CairnException.invalidField("scopes", scope + " (expected: READ or WRITE)");
    };
  }

  static User toProto(Users.User user) {
    return User.newBuilder()
        .setName(UserRef.userName(user.id()))
        .setUsername(user.username())
        .setDisplayName(user.displayName())
        .setCreateTime(ProtoTime.timestamp(user.createdAt()))
        .build();
  }

  static ApiToken toProto(Users.Token token) {
    var b =
        ApiToken.newBuilder()
            .setName(UserRef.userName(token.ownerId()) + "/apiTokens/" + token.id())
            .setDisplayName(token.displayName())
            .setCreateTime(ProtoTime.timestamp(token.createdAt()));
    token.scopes().stream()
        .sorted()
        .forEach(s -> b.addScopes(s == Principal.Scope.READ ? TokenScope.TOKEN_SCOPE_READ : TokenScope.TOKEN_SCOPE_WRITE));
    if (token.expiresAt() != null) {
      b.setExpireTime(ProtoTime.timestamp(token.expiresAt()));
    }
    if (token.revokedAt() != null) {
      b.setRevokeTime(ProtoTime.timestamp(token.revokedAt()));
    }
    if (token.lastUsedAt() != null) {
      b.setLastUseTime(ProtoTime.timestamp(token.lastUsedAt()));
    }
    return b.build();
  }
}
