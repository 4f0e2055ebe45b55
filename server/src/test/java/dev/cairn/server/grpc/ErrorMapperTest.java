package dev.cairn.server.grpc;

import dev.cairn.server.core.CairnException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.ErrorInfo;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.GetUserResponse;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one error mapper: what a client sees for each kind of failure. */
class ErrorMapperTest {
  private Server server;
  private ManagedChannel channel;

  private IdentityServiceGrpc.IdentityServiceBlockingStub serve(Supplier<RuntimeException> failure, boolean viaOnError) throws Exception {
    var service = new IdentityServiceGrpc.IdentityServiceImplBase() {
      @Override
      public void getUser(GetUserRequest request, StreamObserver<GetUserResponse> response) {
        if (viaOnError) {
          response.onError(failure.get());
        } else {
          throw failure.get();
        }
      }
    };
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name)
        .addService(ServerInterceptors.intercept(service, new ValidationInterceptor()))
        .intercept(new ErrorMapper())
        .build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    return IdentityServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private static StatusRuntimeException call(IdentityServiceGrpc.IdentityServiceBlockingStub stub) {
    return catchThrowableOfType(StatusRuntimeException.class,
        () -> stub.getUser(GetUserRequest.newBuilder().setName("users/me").build()));
  }

  @Test
  void unexpectedExceptionIsInternalWithoutDetailOrCause() throws Exception {
    var e = call(serve(() -> new IllegalStateException("SELECT secret FROM cairn.users -- at Foo.java:42"), false));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).doesNotContain("SELECT", "secret", "Foo.java", "IllegalState");
    assertThat(e.getCause()).isNull();
    var info = StatusProto.fromThrowable(e).getDetails(0).unpack(ErrorInfo.class);
    assertThat(info.getReason()).isEqualTo("INTERNAL");
  }

  @Test
  void unexpectedExceptionPassedToOnErrorIsAlsoInternal() throws Exception {
    var e = call(serve(() -> new NullPointerException("internal detail"), true));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).doesNotContain("internal detail");
  }

  @Test
  void domainExceptionKeepsItsCodeAndReason() throws Exception {
    var e = call(serve(() -> CairnException.notFound("items/x"), false));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    var info = StatusProto.fromThrowable(e).getDetails(0).unpack(ErrorInfo.class);
    assertThat(info.getReason()).isEqualTo("NOT_FOUND");
    assertThat(info.getDomain()).isEqualTo("cairn.dev");
    assertThat(info.getMetadataMap()).containsEntry("resource", "items/x");
  }

  @Test
  void lostDatabaseConnectionIsUnavailable() throws Exception {
    var e = call(serve(() -> new RuntimeException(new SQLTransientConnectionException("pool timeout")), false));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void serializationFailureIsAborted() throws Exception {
    var e = call(serve(() -> new RuntimeException(new SQLException("could not serialize", "40001")), false));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
  }

  @Test
  void invalidRequestIsRejectedBeforeTheHandler() throws Exception {
    // had the handler run, its exception would make the call INTERNAL
    var stub = serve(() -> new IllegalStateException("handler ran"), false);
    var e = catchThrowableOfType(StatusRuntimeException.class,
        () -> stub.getUser(GetUserRequest.newBuilder().setName("nope").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).startsWith("name:");
  }
}
