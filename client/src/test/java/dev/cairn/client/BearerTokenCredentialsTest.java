package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Attributes;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class BearerTokenCredentialsTest {

  @Test
  void refusesToSendTheTokenInPlaintextToARemoteHost() {
    Result result = apply(new BearerTokenCredentials("t", false), "cairn.example.com:50051", SecurityLevel.NONE);
    assertThat(result.headers).isNull();
    assertThat(result.failure.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(result.failure.getDescription()).contains("cairn.example.com:50051", "TLS");
  }

  @Test
  void sendsTheTokenInPlaintextToLoopback() {
    for (String authority : new String[] {"localhost:50051", "127.0.0.1:50051", "[::1]:50051", "localhost"}) {
      Result result = apply(new BearerTokenCredentials("t", false), authority, SecurityLevel.NONE);
      assertThat(result.headers).as(authority).isNotNull();
    }
  }

  @Test
  void sendsTheTokenOverTls() {
    Result result = apply(new BearerTokenCredentials("t", false), "cairn.example.com:443",
        SecurityLevel.PRIVACY_AND_INTEGRITY);
    assertThat(result.headers.get(BearerTokenCredentials.AUTHORIZATION)).isEqualTo("Bearer t");
  }

  @Test
  void sendsTheTokenInPlaintextWhenExplicitlyAllowed() {
    Result result = apply(new BearerTokenCredentials("t", true), "cairn:50051", SecurityLevel.NONE);
    assertThat(result.headers).isNotNull();
  }

  @Test
  void neverPrintsTheToken() {
    assertThat(new BearerTokenCredentials("cairn_pat_x_secret", false).toString()).doesNotContain("secret");
  }

  private record Result(@Nullable Metadata headers, Status failure) {}

  private static Result apply(BearerTokenCredentials credentials, String authority, SecurityLevel level) {
    AtomicReference<@Nullable Metadata> headers = new AtomicReference<>();
    AtomicReference<Status> failure = new AtomicReference<>(Status.OK);
    credentials.applyRequestMetadata(new CallCredentials.RequestInfo() {
      @Override
      public MethodDescriptor<?, ?> getMethodDescriptor() {
        return dev.cairn.identity.v1.IdentityServiceGrpc.getGetUserMethod();
      }

      @Override
      public CallOptions getCallOptions() {
        return CallOptions.DEFAULT;
      }

      @Override
      public SecurityLevel getSecurityLevel() {
        return level;
      }

      @Override
      public String getAuthority() {
        return authority;
      }

      @Override
      public Attributes getTransportAttrs() {
        return Attributes.EMPTY;
      }
    }, Runnable::run, new CallCredentials.MetadataApplier() {
      @Override
      public void apply(Metadata metadata) {
        headers.set(metadata);
      }

      @Override
      public void fail(Status status) {
        failure.set(status);
      }
    });
    return new Result(headers.get(), failure.get());
  }
}
