package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DefaultDeadlineInterceptorTest {

  private final AtomicReference<CallOptions> seen = new AtomicReference<>();
  private final Channel capture = new Channel() {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
      seen.set(options);
      return new ClientCall<>() {
        @Override
        public void start(Listener<RespT> listener, io.grpc.Metadata headers) {}

        @Override
        public void request(int numMessages) {}

        @Override
        public void cancel(@Nullable String message, @Nullable Throwable cause) {}

        @Override
        public void halfClose() {}

        @Override
        public void sendMessage(ReqT message) {}
      };
    }

    @Override
    public String authority() {
      return "test";
    }
  };

  @Test
  void leavesStreamingCallsWithoutADeadlineByDefault() {
    new DefaultDeadlineInterceptor(Duration.ofSeconds(30), null)
        .interceptCall(method(MethodDescriptor.MethodType.SERVER_STREAMING), CallOptions.DEFAULT, capture);
    assertThat(seen.get().getDeadline()).isNull();
  }

  @Test
  void givesStreamingCallsTheirOwnDeadlineWhenConfigured() {
    new DefaultDeadlineInterceptor(Duration.ofSeconds(30), Duration.ofMinutes(10))
        .interceptCall(method(MethodDescriptor.MethodType.SERVER_STREAMING), CallOptions.DEFAULT, capture);
    assertThat(seen.get().getDeadline().timeRemaining(TimeUnit.SECONDS)).isBetween(590L, 600L);
  }

  @Test
  void givesUnaryCallsTheDefault() {
    new DefaultDeadlineInterceptor(Duration.ofSeconds(30), null)
        .interceptCall(method(MethodDescriptor.MethodType.UNARY), CallOptions.DEFAULT, capture);
    assertThat(seen.get().getDeadline().timeRemaining(TimeUnit.SECONDS)).isBetween(29L, 30L);
  }

  private static MethodDescriptor<String, String> method(MethodDescriptor.MethodType type) {
    MethodDescriptor.Marshaller<String> marshaller = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(String value) {
        return new ByteArrayInputStream(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }

      @Override
      public String parse(InputStream stream) {
        return "";
      }
    };
    return MethodDescriptor.<String, String>newBuilder(marshaller, marshaller)
        .setType(type)
        .setFullMethodName("test.Service/Method")
        .build();
  }
}
