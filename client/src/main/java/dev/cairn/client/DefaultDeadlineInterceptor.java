package dev.cairn.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Gives every call that has no deadline of its own one, so a hung server never hangs the caller.
 * Unary calls get {@code unary}; streaming calls (downloads, uploads, chat) run as long as the data
 * flows, so they get {@code streaming}, which is unset (no deadline) by default. A deadline set on
 * the stub ({@code withDeadlineAfter}) or inherited from the current gRPC {@link Context} wins.
 */
final class DefaultDeadlineInterceptor implements ClientInterceptor {

  private final @Nullable Duration unary;
  private final @Nullable Duration streaming;

  DefaultDeadlineInterceptor(@Nullable Duration unary, @Nullable Duration streaming) {
    this.unary = unary;
    this.streaming = streaming;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    Duration timeout = method.getType() == MethodDescriptor.MethodType.UNARY ? unary : streaming;
    if (timeout != null
        && callOptions.getDeadline() == null
        && Context.current().getDeadline() == null) {
      callOptions = callOptions.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    return next.newCall(method, callOptions);
  }
}
