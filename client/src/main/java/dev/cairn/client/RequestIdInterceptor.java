package dev.cairn.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.MethodDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Fills an empty {@code request_id} field with a fresh UUID before the request leaves, so that the
 * transparent retries configured by {@link RetryPolicy} (which resend the very same message) are
 * recognised by the server as one request. A request id the caller set is left alone.
 */
final class RequestIdInterceptor implements ClientInterceptor {

  static final String FIELD = "request_id";

  private final Supplier<String> ids;

  RequestIdInterceptor(Supplier<String> ids) {
    this.ids = ids;
  }

  RequestIdInterceptor() {
    this(() -> UUID.randomUUID().toString());
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    ClientCall<ReqT, RespT> call = next.newCall(method, callOptions);
    if (!method.getType().clientSendsOneMessage()) {
      return call; // upload streams carry their request id in the first message's own header
    }
    return new SimpleForwardingClientCall<>(call) {
      @Override
      public void sendMessage(ReqT message) {
        super.sendMessage(withRequestId(message));
      }
    };
  }

  @SuppressWarnings("unchecked") // toBuilder().build() returns the same message type
  private <ReqT> ReqT withRequestId(ReqT message) {
    if (!(message instanceof Message proto)) {
      return message;
    }
    FieldDescriptor field = proto.getDescriptorForType().findFieldByName(FIELD);
    if (field == null
        || field.isRepeated()
        || field.getJavaType() != FieldDescriptor.JavaType.STRING
        || !((String) proto.getField(field)).isEmpty()) {
      return message;
    }
    return (ReqT) proto.toBuilder().setField(field, ids.get()).build();
  }
}
