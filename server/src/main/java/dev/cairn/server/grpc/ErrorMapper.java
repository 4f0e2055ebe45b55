package dev.cairn.server.grpc;

import dev.cairn.server.db.LoggableErrors;
import dev.cairn.server.core.CairnException;
import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.cairn.type.v1.ErrorReason;
import dev.cairn.server.db.TokenCheck;
import io.grpc.Context;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place failures become responses. Whatever a handler throws, or passes to
 * {@code onError}, leaves as the status DESIGN.md's table gives, with a
 * {@code google.rpc.ErrorInfo} (domain {@code cairn.dev}) and, for bad input, a
 * {@code google.rpc.BadRequest}. Unexpected failures become INTERNAL with no cause, SQL or
 * stack trace: those stay in the server log, under the request id, with the database's
 * messages scrubbed of the data they quote ({@link LoggableErrors}). Errors too (a
 * StackOverflowError from a pathological input): left to grpc-java they end the call UNKNOWN.
 */
public final class ErrorMapper implements ServerInterceptor {
  static final String DOMAIN = "cairn.dev";
  private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    var guarded = new GuardedCall<>(call);
    ServerCall.Listener<Q> delegate;
    // the call's interceptors start it in a context that names it (confirmsBeforeAnswering)
    Context starting = Context.current().withValue(ANSWERS, guarded);
    Context previous = starting.attach();
    try {
      delegate = next.startCall(guarded, headers);
    } catch (RuntimeException | Error e) {
      starting.detach(previous);
      guarded.fail(e);
      return new ServerCall.Listener<>() {};
    }
    starting.detach(previous);
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        if (!guarded.closed()) {
          try {
            super.onMessage(message);
          } catch (RuntimeException | Error e) {
            guarded.fail(e);
          }
        }
      }

      @Override
      public void onHalfClose() {
        if (!guarded.closed()) {
          try {
            super.onHalfClose();
          } catch (RuntimeException | Error e) {
            guarded.fail(e);
          }
        }
      }

      @Override
      public void onReady() {
        if (!guarded.closed()) {
          try {
            super.onReady();
          } catch (RuntimeException | Error e) {
            guarded.fail(e);
          }
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } catch (RuntimeException e) {
          log.warn("onCancel failed", LoggableErrors.scrub(e));
        }
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } catch (RuntimeException e) {
          log.warn("onComplete failed", LoggableErrors.scrub(e));
        }
      }
    };
  }

  /** The current call's {@link GuardedCall}, while its interceptors start it (see {@link #confirmsBeforeAnswering}). */
  private static final Context.Key<GuardedCall<?, ?>> ANSWERS = Context.key("cairn.answers");

  /**
   * Makes the call being started (by an interceptor inside this one) run {@code check} before it
   * sends anything — headers, a message, its close, including the close of a failure mapped here —
   * and answer UNAUTHENTICATED when the check refuses its token. False when no ErrorMapper is
   * around the call: then the caller must run the check itself.
   */
  static boolean confirmsBeforeAnswering(TokenCheck check) {
    GuardedCall<?, ?> call = ANSWERS.get();
    if (call == null) {
      return false;
    }
    call.check = check;
    return true;
  }

  /**
   * A call that maps what it is closed with and can be closed only once, and that answers only
   * once its token check (if it has one) has passed.
   */
  private static final class GuardedCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set while the call starts (by AuthInterceptor, on the same thread), before any answer. */
    private volatile @Nullable TokenCheck check;
    /** The check's refusal, once it refused (the call is then closed with it). */
    private volatile @Nullable CairnException refused;

    GuardedCall(ServerCall<Q, R> delegate) {
      super(delegate);
    }

    boolean closed() {
      return closed.get();
    }

    void fail(Throwable t) {
      close(Status.UNKNOWN.withCause(t), new Metadata());
    }

    /** Null when the call may answer, else the refusal of its token (then it is closed with it). */
    private @Nullable CairnException refusal() {
      TokenCheck pending = check;
      if (refused != null || pending == null || pending.confirmed()) {
        return refused;
      }
      try {
        pending.ensure();
        return null;
      } catch (CairnException e) {
        refused = e;
        return e;
      }
    }

    /** Whether the call may send now: false once closed, or when its token was just refused (then closed with that). */
    private boolean mayAnswer() {
      CairnException refused = refusal();
      if (refused != null) {
        fail(refused);
        return false;
      }
      return !closed();
    }

    @Override
    public void sendHeaders(Metadata headers) {
      if (mayAnswer()) {
        super.sendHeaders(headers);
      }
    }

    @Override
    public void sendMessage(R message) {
      if (mayAnswer()) {
        super.sendMessage(message);
      }
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (closed()) {
        return;
      }
      CairnException refused = refusal();
      if (refused != null) {
        status = Status.UNKNOWN.withCause(refused);
        trailers = new Metadata();
      }
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      if (status.isOk()) {
        super.close(status, trailers);
        return;
      }
      Throwable cause = status.getCause();
      if (cause != null || status.getCode() == Status.Code.UNKNOWN) {
        var mapped = map(cause != null ? cause : status.asRuntimeException(), getMethodDescriptor().getFullMethodName());
        trailers.merge(mapped.trailers());
        super.close(mapped.status(), trailers);
      } else {
        super.close(status, trailers);
      }
    }
  }

  /** A status with the trailers that carry its details. */
  record Mapped(Status status, Metadata trailers) {}

  /** Maps any throwable to the status a client should see. */
  static Mapped map(Throwable t, String method) {
    if (t instanceof CairnException e) {
      return fromCairn(e, method);
    }
    if (t instanceof StatusRuntimeException || t instanceof StatusException) {
      Status s = Status.fromThrowable(t);
      if (s.getCode() != Status.Code.UNKNOWN && s.getCode() != Status.Code.INTERNAL) {
        Metadata trailers = Status.trailersFromThrowable(t);
        return new Mapped(s.withCause(null), trailers == null ? new Metadata() : trailers);
      }
    }
    CairnException translated = translateInfrastructure(t);
    if (translated != null) {
      return fromCairn(translated, method);
    }
    log.error("internal error in {} (request {})", method, CallContext.requestId(), LoggableErrors.scrub(t));
    return build(Status.Code.INTERNAL, ErrorReason.ERROR_REASON_INTERNAL,
        "internal error (request " + CallContext.requestId() + ")", Map.of(), null);
  }

  private static Mapped fromCairn(CairnException e, String method) {
    Status.Code code = status(e.kind());
    if (code == Status.Code.UNAVAILABLE || code == Status.Code.INTERNAL) {
      log.error("{} in {} (request {}): {}", code, method, CallContext.requestId(), e.getMessage());
    } else {
      log.warn("{} in {} (request {}): {}", code, method, CallContext.requestId(), e.getMessage());
    }
    BadRequest badRequest =
        e.violations().isEmpty()
            ? null
            : BadRequest.newBuilder().addAllFieldViolations(e.violations()).build();
    return build(code, e.reason(), e.getMessage(), e.metadata(), badRequest);
  }

  /** The fixed mapping of domain failure kinds to gRPC status codes (DESIGN.md's table). */
  static Status.Code status(CairnException.Kind kind) {
    return switch (kind) {
      case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
      case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case ABORTED -> Status.Code.ABORTED;
      case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
      case OUT_OF_RANGE -> Status.Code.OUT_OF_RANGE;
      case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
      case DEADLINE_EXCEEDED -> Status.Code.DEADLINE_EXCEEDED;
      case CANCELLED -> Status.Code.CANCELLED;
      case UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case INTERNAL -> Status.Code.INTERNAL;
    };
  }

  /** Database and runtime failures that have a client-meaningful status. */
  private static @Nullable CairnException translateInfrastructure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CairnException e) {
        return e;
      }
      if (c instanceof SQLTransientConnectionException) {
        return CairnException.unavailable("the database is unavailable; retry later");
      }
      if (c instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.equals("40001") || state.equals("40P01")) {
          return CairnException.conflict("a concurrent change won; retry the call");
        }
        if (state.equals("22021") || state.equals("22P05")) {
          // U+0000 in text or JSON: WellFormed refuses it in requests; this catches any other way in
          return new CairnException(CairnException.Kind.INVALID_ARGUMENT, ErrorReason.ERROR_REASON_INVALID_ARGUMENT,
              "a text value holds a character the database cannot store (U+0000)", Map.of(), java.util.List.of());
        }
        if (state.startsWith("08") || state.equals("57P01") || state.equals("53300")) {
          return CairnException.unavailable("the database is unavailable; retry later");
        }
        if (state.equals("57014")) {
          io.grpc.Context ctx = io.grpc.Context.current();
          if (ctx.getDeadline() != null && ctx.getDeadline().isExpired()) {
            return new CairnException(CairnException.Kind.DEADLINE_EXCEEDED,
                ErrorReason.ERROR_REASON_UNSPECIFIED, "deadline exceeded", Map.of(), java.util.List.of());
          }
          return new CairnException(CairnException.Kind.CANCELLED, ErrorReason.ERROR_REASON_UNSPECIFIED,
              "cancelled", Map.of(), java.util.List.of());
        }
      }
    }
    return null;
  }

  private static Mapped build(
      Status.Code code,
      ErrorReason reason,
      String message,
      Map<String, String> metadata,
      @Nullable BadRequest badRequest) {
    var info =
        ErrorInfo.newBuilder()
            .setReason(reason.name().substring("ERROR_REASON_".length()))
            .setDomain(DOMAIN)
            .putAllMetadata(metadata)
            .build();
    var proto =
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(message)
            .addDetails(Any.pack(info));
    if (badRequest != null) {
      proto.addDetails(Any.pack(badRequest));
    }
    StatusRuntimeException sre = StatusProto.toStatusRuntimeException(proto.build());
    Metadata trailers = sre.getTrailers();
    return new Mapped(sre.getStatus(), trailers == null ? new Metadata() : trailers);
  }
}
