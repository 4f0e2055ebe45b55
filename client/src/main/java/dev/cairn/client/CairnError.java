package dev.cairn.client;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A failed Cairn call, read back from the gRPC status: the code, the server's message, the
 * {@code ErrorInfo} reason (what programs should switch on), {@code BadRequest} field violations
 * and the request id that finds the server's log line.
 *
 * @param code the gRPC status code
 * @param description the server's message, or empty
 * @param reason {@code ErrorInfo.reason} (e.g. {@code TOKEN_EXPIRED}), or null when absent
 * @param metadata {@code ErrorInfo.metadata}
 * @param fieldViolations {@code BadRequest} field violations, for INVALID_ARGUMENT
 * @param requestId the {@code x-request-id} response trailer, or null
 */
public record CairnError(
    Status.Code code,
    String description,
    @Nullable String reason,
    Map<String, String> metadata,
    List<BadRequest.FieldViolation> fieldViolations,
    @Nullable String requestId) {

  static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

  public CairnError {
    requireNonNull(code, "code");
    requireNonNull(description, "description");
    metadata = Map.copyOf(metadata);
    fieldViolations = List.copyOf(fieldViolations);
  }

  /** Reads the error out of a {@code StatusRuntimeException}/{@code StatusException} (or anything, as UNKNOWN). */
  public static CairnError from(Throwable failure) {
    requireNonNull(failure, "failure");
    Status status = Status.fromThrowable(failure);
    Metadata trailers = Status.trailersFromThrowable(failure);
    String reason = null;
    Map<String, String> metadata = Map.of();
    List<BadRequest.FieldViolation> violations = new ArrayList<>();
    com.google.rpc.Status details = StatusProto.fromThrowable(failure);
    if (details != null) {
      for (Any any : details.getDetailsList()) {
        try {
          if (any.is(ErrorInfo.class)) {
            ErrorInfo info = any.unpack(ErrorInfo.class);
            reason = info.getReason();
            metadata = info.getMetadataMap();
          } else if (any.is(BadRequest.class)) {
            violations.addAll(any.unpack(BadRequest.class).getFieldViolationsList());
          }
        } catch (InvalidProtocolBufferException e) {
          // a malformed detail is ignored: the code and message still say what went wrong
        }
      }
    }
    String description = status.getDescription() == null ? "" : status.getDescription();
    Throwable cause = status.getCause();
    if (cause != null && cause.getMessage() != null) { // client-side only: servers never send causes
      description = description.isEmpty() ? cause.getMessage() : description + " (" + cause.getMessage() + ")";
    }
    return new CairnError(
        status.getCode(),
        description,
        reason == null || reason.isEmpty() ? null : reason,
        metadata,
        violations,
        trailers == null ? null : trailers.get(REQUEST_ID));
  }

  /** {@link #from(Throwable)} then {@link #message()}. */
  public static String describe(Throwable failure) {
    return from(failure).message();
  }

  /**
   * One readable message: {@code NOT_FOUND (NOT_FOUND): item not found}, then one indented line
   * per field violation, then the request id for server-side failures.
   */
  public String message() {
    StringBuilder out = new StringBuilder(code.name());
    if (reason != null) {
      out.append(" (").append(reason).append(')');
    }
    out.append(": ").append(description.isEmpty() ? code.name().toLowerCase(java.util.Locale.ROOT) : description);
    for (BadRequest.FieldViolation violation : fieldViolations) {
      String line = violation.getField().isEmpty()
          ? violation.getDescription()
          : violation.getField() + ": " + violation.getDescription();
      if (!description.contains(line)) { // servers often put a lone violation in the message already
        out.append(System.lineSeparator()).append("  ").append(line);
      }
    }
    if (requestId != null && (code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN)) {
      out.append(System.lineSeparator()).append("  request id: ").append(requestId);
    }
    return out.toString();
  }
}
