package dev.cairn.server.grpc;

import dev.cairn.server.core.CairnException;
import build.buf.protovalidate.ValidationResult;
import build.buf.protovalidate.Validator;
import build.buf.protovalidate.ValidatorFactory;
import build.buf.protovalidate.exceptions.ValidationException;
import build.buf.validate.FieldPath;
import build.buf.validate.FieldPathElement;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.List;

/**
 * Enforces the protovalidate rules written in the protos, and before them the {@link
 * WellFormed} checks that hold for every field, on every request message before a handler
 * sees it; a violation becomes INVALID_ARGUMENT with one field violation per rule.
 */
public final class ValidationInterceptor implements ServerInterceptor {
  private final Validator validator = ValidatorFactory.newBuilder().build();

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      @Override
      public void onMessage(Q message) {
        if (message instanceof Message m) {
          validate(m);
        }
        super.onMessage(message);
      }
    };
  }

  /** Throws {@link CairnException} INVALID_ARGUMENT when {@code message} breaks a rule. */
  public void validate(Message message) {
    // first what holds for every field of every message; protovalidate's CEL fails on such values
    List<BadRequest.FieldViolation> malformed = WellFormed.violations(message);
    if (!malformed.isEmpty()) {
      throw CairnException.invalid(malformed);
    }
    ValidationResult result;
    try {
      result = validator.validate(message);
    } catch (ValidationException e) {
      throw new IllegalStateException("protovalidate rules failed to compile", e);
    }
    if (!result.isSuccess()) {
      List<BadRequest.FieldViolation> violations =
          result.getViolations().stream()
              .map(v -> v.toProto())
              .map(
                  v ->
                      BadRequest.FieldViolation.newBuilder()
                          .setField(v.hasField() ? path(v.getField()) : "")
                          .setDescription(v.getMessage())
                          .setReason(v.getRuleId())
                          .build())
              .toList();
      throw CairnException.invalid(violations);
    }
  }

  /** {@code items[2].labels["k"]}: the AIP-193 field path of a violation. */
  static String path(FieldPath path) {
    var out = new StringBuilder();
    for (FieldPathElement e : path.getElementsList()) {
      if (!out.isEmpty()) {
        out.append('.');
      }
      out.append(e.getFieldName());
      switch (e.getSubscriptCase()) {
        case INDEX -> out.append('[').append(e.getIndex()).append(']');
        case STRING_KEY -> out.append("[\"").append(e.getStringKey()).append("\"]");
        case INT_KEY -> out.append('[').append(e.getIntKey()).append(']');
        case UINT_KEY -> out.append('[').append(e.getUintKey()).append(']');
        case BOOL_KEY -> out.append('[').append(e.getBoolKey()).append(']');
        default -> {}
      }
    }
    return out.toString();
  }
}
