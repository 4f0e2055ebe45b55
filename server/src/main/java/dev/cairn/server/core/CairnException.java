package dev.cairn.server.core;

import static java.util.Objects.requireNonNull;

import com.google.rpc.BadRequest;
import dev.cairn.type.v1.ErrorReason;
import java.util.List;
import java.util.Map;

/**
 * The one exception type domain code throws: a gRPC status code, a stable reason for
 * {@code ErrorInfo}, a message meant for the client, and for bad input the field violations.
 * {@link ErrorMapper} turns it into the response; nothing else about the failure leaves the
 * server.
 */
public final class CairnException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * What kind of failure this is, named as the gRPC status it leaves as (the mapping is
   * fixed, in ErrorMapper); kept here so that domain code needs no transport type.
   */
  public enum Kind {
    INVALID_ARGUMENT,
    UNAUTHENTICATED,
    PERMISSION_DENIED,
    NOT_FOUND,
    ALREADY_EXISTS,
    ABORTED,
    FAILED_PRECONDITION,
    OUT_OF_RANGE,
    RESOURCE_EXHAUSTED,
    DEADLINE_EXCEEDED,
    CANCELLED,
    UNAVAILABLE,
    INTERNAL
  }

  private final Kind kind;
  private final ErrorReason reason;
  private final Map<String, String> metadata;
  private final List<BadRequest.FieldViolation> violations;

  public CairnException(
      Kind kind,
      ErrorReason reason,
      String message,
      Map<String, String> metadata,
      List<BadRequest.FieldViolation> violations) {
    super(requireNonNull(message, "message"), null, false, false);
    this.kind = requireNonNull(kind, "kind");
    this.reason = requireNonNull(reason, "reason");
    this.metadata = Map.copyOf(metadata);
    this.violations = List.copyOf(violations);
  }

  public Kind kind() {
    return kind;
  }

  public ErrorReason reason() {
    return reason;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public List<BadRequest.FieldViolation> violations() {
    return violations;
  }

  private static CairnException of(Kind kind, ErrorReason reason, String message) {
    return new CairnException(kind, reason, message, Map.of(), List.of());
  }

  /** One bad field: {@code "page_size: -3 (expected: 0..1000)"}. */
  public static CairnException invalidField(String field, String description) {
    return invalid(
        List.of(
            BadRequest.FieldViolation.newBuilder()
                .setField(field)
                .setDescription(description)
                .build()));
  }

  public static CairnException invalid(List<BadRequest.FieldViolation> violations) {
    String message =
        violations.stream()
            .map(v -> v.getField() + ": " + v.getDescription())
            .reduce((a, b) -> a + "; " + b)
            .orElse("invalid request");
    return new CairnException(
        Kind.INVALID_ARGUMENT,
        ErrorReason.ERROR_REASON_INVALID_ARGUMENT,
        message,
        Map.of(),
        violations);
  }

  public static CairnException unauthenticated(ErrorReason reason, String message) {
    return of(Kind.UNAUTHENTICATED, reason, message);
  }

  public static CairnException permissionDenied(String message) {
    return of(Kind.PERMISSION_DENIED, ErrorReason.ERROR_REASON_PERMISSION_DENIED, message);
  }

  /** Absent or not visible: callers must not be able to tell which. */
  public static CairnException notFound(String resourceName) {
    return new CairnException(
        Kind.NOT_FOUND,
        ErrorReason.ERROR_REASON_NOT_FOUND,
        resourceName + " not found",
        Map.of("resource", resourceName),
        List.of());
  }

  public static CairnException alreadyExists(String message) {
    return of(Kind.ALREADY_EXISTS, ErrorReason.ERROR_REASON_ALREADY_EXISTS, message);
  }

  public static CairnException etagMismatch(String resourceName) {
    return new CairnException(
        Kind.ABORTED,
        ErrorReason.ERROR_REASON_ETAG_MISMATCH,
        "etag does not match the current version of " + resourceName,
        Map.of("resource", resourceName),
        List.of());
  }

  public static CairnException conflict(String message) {
    return of(Kind.ABORTED, ErrorReason.ERROR_REASON_CONFLICT, message);
  }

  public static CairnException failedPrecondition(String message) {
    return of(
        Kind.FAILED_PRECONDITION, ErrorReason.ERROR_REASON_FAILED_PRECONDITION, message);
  }

  /** A position past the end of what exists; the field names which position. */
  public static CairnException outOfRange(String field, String description) {
    return new CairnException(
        Kind.OUT_OF_RANGE,
        ErrorReason.ERROR_REASON_OUT_OF_RANGE,
        field + ": " + description,
        Map.of("field", field),
        List.of(BadRequest.FieldViolation.newBuilder().setField(field).setDescription(description).build()));
  }

  /** The answer was stopped (the generating call ended, CancelMessage). */
  public static CairnException cancelled(String message) {
    return of(Kind.CANCELLED, ErrorReason.ERROR_REASON_UNSPECIFIED, message);
  }

  public static CairnException limitExceeded(String limit, String message) {
    return new CairnException(
        Kind.RESOURCE_EXHAUSTED,
        ErrorReason.ERROR_REASON_LIMIT_EXCEEDED,
        message,
        Map.of("limit", limit),
        List.of());
  }

  public static CairnException unavailable(String message) {
    return of(Kind.UNAVAILABLE, ErrorReason.ERROR_REASON_UNAVAILABLE, message);
  }
}
