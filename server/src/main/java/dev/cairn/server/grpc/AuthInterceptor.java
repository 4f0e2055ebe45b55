package dev.cairn.server.grpc;

import dev.cairn.server.core.Authenticator;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import static java.util.Objects.requireNonNull;

import dev.cairn.type.v1.ErrorReason;
import dev.cairn.server.db.TokenCheck;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Locale;
import java.util.Set;

/**
 * Authenticates every call to a Cairn service from its {@code authorization: Bearer} header
 * and puts the {@link Principal} in the call's context. Also checks the token's scope: calls
 * that only read need READ, everything else WRITE. A few methods (named at construction)
 * accept anonymous callers, e.g. redeeming an access link.
 */
public final class AuthInterceptor implements ServerInterceptor {
  private static final String BEARER = "bearer ";
  /** What the server reads of a call's headers (Netty's default of 8 KiB resets larger ones). */
  public static final int MAX_METADATA_BYTES = 64 * 1024;
  /**
   * Longer than any credential Cairn accepts: its tokens are ~90 characters, and an identity
   * provider's JWT with many claims stays within a few KiB.
   */
  static final int MAX_CREDENTIAL_CHARS = 8 * 1024;
  private static final Set<String> READ_PREFIXES =
      Set.of("Get", "List", "Search", "Download", "Query", "Verify", "Stream");

  private final Authenticator authenticator;
  private final Set<String> anonymousMethods;

  public AuthInterceptor(Authenticator authenticator, Set<String> anonymousMethods) {
    this.authenticator = requireNonNull(authenticator, "authenticator");
    this.anonymousMethods = Set.copyOf(anonymousMethods);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    String header = headers.get(CallContext.AUTHORIZATION);
    Principal principal;
    TokenCheck check = null;
    if (header == null || header.isBlank()) {
      if (!anonymousMethods.contains(method)) {
        throw CairnException.unauthenticated(
            ErrorReason.ERROR_REASON_CREDENTIAL_MISSING,
            "missing credential: send 'authorization: Bearer <token>'");
      }
      principal = Principal.anonymous();
    } else {
      if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
        throw CairnException.unauthenticated(
            ErrorReason.ERROR_REASON_CREDENTIAL_MISSING,
            "unsupported authorization scheme (expected: Bearer)");
      }
      if (header.length() > BEARER.length() + MAX_CREDENTIAL_CHARS) {
        // not hashed, parsed or looked up: nothing that long is a credential
        throw CairnException.unauthenticated(
            ErrorReason.ERROR_REASON_CREDENTIAL_INVALID,
            "credential too long (expected: at most " + MAX_CREDENTIAL_CHARS + " characters)");
      }
      Authenticator.Authentication authenticated =
          authenticator.authenticateCall(header.substring(BEARER.length()).trim());
      principal = authenticated.principal();
      check = authenticated.confirm() == null ? null
          : new TokenCheck(requireNonNull(principal.tokenId(), "tokenId"), authenticated.confirm());
      if (check != null && !ErrorMapper.confirmsBeforeAnswering(check)) {
        check.ensure(); // no ErrorMapper around this call to hold its answers: the barrier now
      }
      requireScope(principal, call.getMethodDescriptor().getBareMethodName());
    }
    Context context = Context.current().withValue(CallContext.PRINCIPAL, principal);
    if (check != null && !check.confirmed()) {
      // its first statement checks the token in SQL; if none does, the answer waits for the barrier
      context = context.withValue(TokenCheck.KEY, check);
    }
    return Contexts.interceptCall(context, call, headers, next);
  }

  private static void requireScope(Principal principal, String bareMethod) {
    Principal.Scope needed = isRead(bareMethod) ? Principal.Scope.READ : Principal.Scope.WRITE;
    if (!principal.scopes().contains(needed)) {
      throw CairnException.permissionDenied(
          "this token lacks the " + needed.name().toLowerCase(Locale.ROOT) + " scope");
    }
  }

  static boolean isRead(String bareMethod) {
    for (String prefix : READ_PREFIXES) {
      if (bareMethod.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
