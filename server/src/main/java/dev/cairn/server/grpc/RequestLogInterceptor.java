package dev.cairn.server.grpc;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Gives every call a request id (the client's {@code x-request-id} when it is sane, else a
 * new one), returns it in the response headers and trailers, and writes one structured log
 * line per finished call: method, status, duration, request id. Never logs payloads. It is the
 * outermost interceptor, so the start it records ({@link CallContext#startedNanos}) is the one
 * per-call meters that must include authentication (chat's time to first token) count from.
 */
public final class RequestLogInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger("cairn.rpc");
  private static final Pattern SANE_ID = Pattern.compile("^[A-Za-z0-9._:-]{1,64}$");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String offered = headers.get(CallContext.REQUEST_ID_HEADER);
    String requestId =
        offered != null && SANE_ID.matcher(offered).matches() ? offered : UUID.randomUUID().toString();
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    var logged =
        new SimpleForwardingServerCall<Q, R>(call) {
          private boolean headersSent;

          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(CallContext.REQUEST_ID_HEADER, requestId);
            headersSent = true;
            super.sendHeaders(responseHeaders);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            if (!headersSent) {
              trailers.put(CallContext.REQUEST_ID_HEADER, requestId);
            }
            long micros = (System.nanoTime() - start) / 1_000;
            MDC.put("request_id", requestId);
            try {
              log.info(
                  "rpc {} {}",
                  kv("method", method),
                  kv("status", status.getCode().name()),
                  kv("duration_ms", micros / 1000.0));
            } finally {
              MDC.remove("request_id");
            }
            super.close(status, trailers);
          }
        };
    Context context =
        Context.current().withValues(CallContext.REQUEST_ID, requestId, CallContext.METHOD, method,
            CallContext.STARTED, start);
    MDC.put("request_id", requestId);
    try {
      return Contexts.interceptCall(context, logged, headers, next);
    } finally {
      MDC.remove("request_id");
    }
  }
}
