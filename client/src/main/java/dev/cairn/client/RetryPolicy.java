package dev.cairn.client;

import com.google.protobuf.Descriptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the gRPC service config that retries safe calls on {@code UNAVAILABLE} (the server or its
 * database is briefly away). A call is safe to retry when it is a read (the methods a READ-scoped
 * token may call: Get, List, Search, Download, Query, Verify and Stream* resumes) or when its
 * request carries a {@code request_id}, which {@link RequestIdInterceptor} fills so the server can
 * recognise the retry. Every other write is sent once: it may have taken effect before the
 * connection dropped.
 */
final class RetryPolicy {

  static final List<String> READ_PREFIXES =
      List.of("Get", "List", "Search", "Download", "Query", "Verify", "Stream");

  /**
   * Streams that are never retried although their requests carry a request id: a retried send
   * replays its answer from the start, which a caller that already showed part of it does not
   * want; it resumes with StreamMessage from what it has.
   */
  static final List<String> NEVER_RETRIED = List.of("cairn.chat.v1.ChatService/SendMessage");

  private RetryPolicy() {}

  static boolean isRetryable(MethodDescriptor<?, ?> method) {
    if (NEVER_RETRIED.contains(method.getFullMethodName())) {
      return false;
    }
    String name = method.getBareMethodName();
    if (name != null && READ_PREFIXES.stream().anyMatch(name::startsWith)) {
      return true;
    }
    if (method.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier proto) {
      Descriptors.MethodDescriptor schema = proto.getMethodDescriptor();
      return schema.getInputType().findFieldByName(RequestIdInterceptor.FIELD) != null;
    }
    return false;
  }

  /** The {@code defaultServiceConfig} map for {@code ManagedChannelBuilder}; numbers are doubles, as the JSON parser makes them. */
  static Map<String, Object> serviceConfig(List<ServiceDescriptor> services) {
    List<Object> names = new ArrayList<>();
    for (ServiceDescriptor service : services) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        if (isRetryable(method)) {
          names.add(Map.of(
              "service", service.getName(),
              "method", String.valueOf(method.getBareMethodName())));
        }
      }
    }
    Map<String, Object> retryPolicy = new LinkedHashMap<>();
    retryPolicy.put("maxAttempts", 4.0);
    retryPolicy.put("initialBackoff", "0.2s");
    retryPolicy.put("maxBackoff", "5s");
    retryPolicy.put("backoffMultiplier", 2.0);
    retryPolicy.put("retryableStatusCodes", List.of("UNAVAILABLE"));
    if (names.isEmpty()) {
      return Map.of();
    }
    return Map.of("methodConfig", List.of(Map.of("name", names, "retryPolicy", retryPolicy)));
  }
}
