package dev.cairn.server.core;

import static java.util.Objects.requireNonNull;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Who is acting and on behalf of which request: the principal, the request id that ties audit
 * events and logs together, and the operation (the gRPC method, or a job's kind). The gRPC edge
 * makes one per call; background jobs make one with {@link #system}. Everything below the edge
 * takes it as a parameter instead of reading the gRPC context, so the same code runs in a call,
 * a job or an MCP tool.
 *
 * @param operation the full gRPC method name (e.g. {@code cairn.vault.v1.VaultService/GetItem}) or
 *     {@code job/<kind>}
 */
public record Caller(Principal principal, String requestId, String operation) {

  public Caller {
    requireNonNull(principal, "principal");
    requireNonNull(requestId, "requestId");
    requireNonNull(operation, "operation");
  }

  /** Server-internal work acting for {@code owner}: the job's kind names the operation. */
  public static Caller system(UUID owner, String job) {
    return new Caller(Principal.system(owner), "job:" + job, "job/" + job);
  }

  /** A caller outside any request (tests, start-up). */
  public static Caller of(Principal principal) {
    return new Caller(principal, "-", "-");
  }

  public @Nullable UUID userId() {
    return principal.userId();
  }

  public boolean isUser() {
    return principal.isUser();
  }

  /** The user id, or PERMISSION_DENIED when the call has no user. */
  public UUID requireUserId() {
    return principal.requireUserId();
  }
}
