package dev.cairn.client.testing;

import com.google.protobuf.Message;
import dev.cairn.client.CairnClient;
import dev.cairn.identity.v1.ApiToken;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateApiTokenResponse;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.CreateUserResponse;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.GetUserResponse;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.ListApiTokensRequest;
import dev.cairn.identity.v1.ListApiTokensResponse;
import dev.cairn.identity.v1.RevokeApiTokenRequest;
import dev.cairn.identity.v1.RevokeApiTokenResponse;
import dev.cairn.identity.v1.User;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * An in-process stand-in for IdentityService that records what the client sent. It exists only to
 * prove the SDK's own behaviour (headers, deadlines, retries, error reading, CLI parsing); what the
 * real server does is tested end to end in the server module.
 */
public final class FakeIdentityServer implements AutoCloseable {

  public static final User ME = User.newBuilder()
      .setName("users/0b8f2a52-0000-4000-8000-000000000001")
      .setUsername("alice")
      .setDisplayName("Alice Liddell")
      .build();

  private final String name = InProcessServerBuilder.generateName();
  private final Server server;
  private final Queue<StatusRuntimeException> failures = new ArrayDeque<>();

  /** Every request received, including those answered with a failure. */
  public final List<Message> requests = new CopyOnWriteArrayList<>();
  public final List<Metadata> headers = new CopyOnWriteArrayList<>();
  public final List<@Nullable Deadline> deadlines = new CopyOnWriteArrayList<>();
  public volatile ListApiTokensResponse tokens = ListApiTokensResponse.getDefaultInstance();

  public FakeIdentityServer() {
    ServerInterceptor recordHeaders = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata metadata, ServerCallHandler<ReqT, RespT> next) {
        headers.add(metadata);
        return next.startCall(call, metadata);
      }
    };
    try {
      server = InProcessServerBuilder.forName(name)
          .directExecutor()
          .addService(ServerInterceptors.intercept(new Service(), recordHeaders))
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next call fails with {@code failure} (queue several for several calls). */
  public synchronized FakeIdentityServer failNext(StatusRuntimeException failure) {
    failures.add(failure);
    return this;
  }

  /** A client builder whose channel reaches this server. */
  public CairnClient.Builder clientBuilder() {
    return CairnClient.builder().channelBuilder(InProcessChannelBuilder.forName(name).directExecutor());
  }

  @Override
  public void close() {
    try {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized @Nullable StatusRuntimeException nextFailure() {
    return failures.poll();
  }

  private final class Service extends IdentityServiceGrpc.IdentityServiceImplBase {

    private <T> void answer(Message request, StreamObserver<T> observer, T response) {
      requests.add(request);
      deadlines.add(Context.current().getDeadline());
      StatusRuntimeException failure = nextFailure();
      if (failure != null) {
        observer.onError(failure);
        return;
      }
      observer.onNext(response);
      observer.onCompleted();
    }

    @Override
    public void getUser(GetUserRequest request, StreamObserver<GetUserResponse> observer) {
      answer(request, observer, GetUserResponse.newBuilder().setUser(ME).build());
    }

    @Override
    public void createUser(CreateUserRequest request, StreamObserver<CreateUserResponse> observer) {
      User user = request.getUser().toBuilder().setName("users/0b8f2a52-0000-4000-8000-000000000002").build();
      answer(request, observer, CreateUserResponse.newBuilder().setUser(user).build());
    }

    @Override
    public void createApiToken(CreateApiTokenRequest request, StreamObserver<CreateApiTokenResponse> observer) {
      ApiToken token = ApiToken.newBuilder()
          .setName(ME.getName() + "/apiTokens/t1")
          .setDisplayName(request.getDisplayName())
          .addAllScopes(request.getScopesList())
          .build();
      answer(request, observer,
          CreateApiTokenResponse.newBuilder().setApiToken(token).setToken("cairn_pat_t1_s3cret").build());
    }

    @Override
    public void listApiTokens(ListApiTokensRequest request, StreamObserver<ListApiTokensResponse> observer) {
      answer(request, observer, tokens);
    }

    @Override
    public void revokeApiToken(RevokeApiTokenRequest request, StreamObserver<RevokeApiTokenResponse> observer) {
      answer(request, observer, RevokeApiTokenResponse.newBuilder()
          .setApiToken(ApiToken.newBuilder().setName(request.getName().replace("users/me", ME.getName())))
          .build());
    }
  }
}
