package dev.cairn.server.grpc;

import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Principal;
import io.grpc.Context;
import io.grpc.Metadata;

/** The per-call values interceptors put in the gRPC {@link Context} for the layers below. */
public final class CallContext {
  static final Context.Key<Principal> PRINCIPAL = Context.key("cairn.principal");
  static final Context.Key<String> REQUEST_ID = Context.key("cairn.request-id");
  static final Context.Key<String> METHOD = Context.key("cairn.method");
  static final Context.Key<Long> STARTED = Context.key("cairn.started-nanos");

  public static final Metadata.Key<String> REQUEST_ID_HEADER =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private CallContext() {}

  /** The authenticated caller of the current call; anonymous outside a call. */
  public static Principal principal() {
    Principal p = PRINCIPAL.get();
    return p == null ? Principal.anonymous() : p;
  }

  /** The caller of the current call with its request id and method, for the layers below. */
  public static Caller caller() {
    return new Caller(principal(), requestId(), method());
  }

  /** The current call's full method name, e.g. {@code cairn.vault.v1.VaultService/GetItem}, or "-". */
  public static String method() {
    String method = METHOD.get();
    return method == null ? "-" : method;
  }

  /**
   * When the current call reached the server ({@link System#nanoTime}), before any interceptor's
   * work (authentication included); now, outside a call.
   */
  public static long startedNanos() {
    Long started = STARTED.get();
    return started == null ? System.nanoTime() : started;
  }

  /** The current call's request id, or "-" outside a call. */
  public static String requestId() {
    String id = REQUEST_ID.get();
    return id == null ? "-" : id;
  }
}
