package dev.cairn.server.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * Completes the server span grpc-java's OpenTelemetry module opened for this call (current while
 * the call's handlers run): the {@code rpc.*} semantic-convention attributes the module leaves out,
 * the request id (so a span leads to the call's log lines and back), and the status code. Closing
 * the call re-enters the span's context, so the request line and any error logged while closing
 * carry the trace id even when a stream is closed from another thread.
 */
public final class RpcSpanInterceptor implements ServerInterceptor {
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Context context = Context.current();
    Span span = Span.fromContext(context);
    if (!span.getSpanContext().isValid()) {
      return next.startCall(call, headers);
    }
    MethodDescriptor<Q, R> method = call.getMethodDescriptor();
    span.setAttribute("rpc.system", "grpc");
    String service = method.getServiceName();
    if (service != null) {
      span.setAttribute("rpc.service", service);
    }
    span.setAttribute("rpc.method", method.getBareMethodName());
    span.setAttribute("cairn.request_id", CallContext.requestId());
    var traced =
        new SimpleForwardingServerCall<Q, R>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            span.setAttribute("rpc.grpc.status_code", status.getCode().value());
            try (Scope ignored = context.makeCurrent()) {
              super.close(status, trailers);
            }
          }
        };
    return next.startCall(traced, headers);
  }
}
