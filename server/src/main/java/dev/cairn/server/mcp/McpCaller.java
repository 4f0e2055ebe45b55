package dev.cairn.server.mcp;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Principal;

/**
 * Who an MCP request acts for: the bearer token exactly as presented (passed on to the gRPC
 * services, which authenticate it again and apply its rights) and the principal it named when
 * the HTTP edge checked it (used only to decide which tools to offer).
 */
record McpCaller(String token, Principal principal) {
  /** The transport-context key the servlet's extractor stores it under. */
  static final String KEY = "cairn.mcp.caller";

  McpCaller {
    requireNonNull(token, "token");
    requireNonNull(principal, "principal");
  }

  boolean canWrite() {
    return principal.scopes().contains(Principal.Scope.WRITE);
  }

  @Override
  public String toString() {
    return "McpCaller[user=" + principal.userId() + ", token=***]";
  }
}
