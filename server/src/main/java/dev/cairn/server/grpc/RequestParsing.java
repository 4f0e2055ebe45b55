package dev.cairn.server.grpc;

import dev.cairn.server.core.CairnException;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cairn.type.v1.ErrorReason;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Parses request messages inside the interceptor chain instead of before it. grpc-java parses
 * a request before any interceptor runs, and when the bytes are not the message (invalid
 * UTF-8, a truncated field, nesting past the parser's limit of 100) it closes the stream
 * itself with UNKNOWN "Application error processing RPC", past the {@link ErrorMapper}. Here
 * the transport hands the bytes through as they came and the message is parsed in {@code
 * onMessage}, where a failure is INVALID_ARGUMENT like any other bad input. Authentication
 * still runs first: it happens when the call starts, before any message.
 */
public final class RequestParsing {
  private RequestParsing() {}

  /** {@code service} with each method taking raw bytes and parsing them in its listener. */
  public static ServerServiceDefinition insideInterceptors(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    var descriptor = ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
    var methods = new java.util.ArrayList<ServerMethodDefinition<?, ?>>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> wrapped = wrap(method);
      descriptor.addMethod(wrapped.getMethodDescriptor());
      methods.add(wrapped);
    }
    var out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  private static <Q, R> ServerMethodDefinition<InputStream, R> wrap(ServerMethodDefinition<Q, R> definition) {
    MethodDescriptor<Q, R> method = definition.getMethodDescriptor();
    MethodDescriptor<InputStream, R> raw = method.toBuilder(RAW, method.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = definition.getServerCallHandler();
    ServerCallHandler<InputStream, R> parsing = (call, headers) -> {
      ServerCall.Listener<Q> listener = handler.startCall(new TypedCall<>(call, method), headers);
      return new ParsingListener<>(listener, method);
    };
    return ServerMethodDefinition.create(raw, parsing);
  }

  /** The stream as it came off the wire; read within {@code onMessage}, before grpc closes it. */
  private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };

  /** Hands parsed messages to the listener of the real method. */
  private static final class ParsingListener<Q> extends ServerCall.Listener<InputStream> {
    private final ServerCall.Listener<Q> delegate;
    private final MethodDescriptor<Q, ?> method;

    ParsingListener(ServerCall.Listener<Q> delegate, MethodDescriptor<Q, ?> method) {
      this.delegate = delegate;
      this.method = method;
    }

    @Override
    public void onMessage(InputStream message) {
      Q parsed;
      try {
        parsed = method.parseRequest(message);
      } catch (RuntimeException e) {
        throw malformed(e, method);
      }
      delegate.onMessage(parsed);
    }

    @Override
    public void onHalfClose() {
      delegate.onHalfClose();
    }

    @Override
    public void onCancel() {
      delegate.onCancel();
    }

    @Override
    public void onComplete() {
      delegate.onComplete();
    }

    @Override
    public void onReady() {
      delegate.onReady();
    }
  }

  /** INVALID_ARGUMENT naming the message type and what the parser found, without its advice. */
  static CairnException malformed(RuntimeException e, MethodDescriptor<?, ?> method) {
    String type = requestType(method);
    String reason = "it does not parse";
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof InvalidProtocolBufferException p && p.getMessage() != null) {
        // "Protocol message had too many levels of nesting.  May be malicious.  Use ..."
        String m = p.getMessage();
        int stop = m.indexOf('.');
        reason = stop > 0 ? m.substring(0, stop) : m;
        break;
      }
    }
    return new CairnException(CairnException.Kind.INVALID_ARGUMENT, ErrorReason.ERROR_REASON_INVALID_ARGUMENT,
        "the request is not a valid " + type + ": " + reason, Map.of("message_type", type), List.of());
  }

  private static String requestType(MethodDescriptor<?, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
        && p.getMessagePrototype() instanceof com.google.protobuf.Message m) {
      return m.getDescriptorForType().getFullName();
    }
    return method.getFullMethodName() + " request";
  }

  /** The call as the real method's type, forwarding everything to the raw call. */
  private static final class TypedCall<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<InputStream, R> raw;
    private final MethodDescriptor<Q, R> method;

    TypedCall(ServerCall<InputStream, R> raw, MethodDescriptor<Q, R> method) {
      this.raw = raw;
      this.method = method;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }

    @Override
    public void request(int numMessages) {
      raw.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      raw.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
      raw.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return raw.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      raw.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return raw.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      raw.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      raw.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      raw.setOnReadyThreshold(numBytes);
    }

    @Override
    public Attributes getAttributes() {
      return raw.getAttributes();
    }

    @Override
    public @Nullable String getAuthority() {
      return raw.getAuthority();
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return raw.getSecurityLevel();
    }
  }
}
