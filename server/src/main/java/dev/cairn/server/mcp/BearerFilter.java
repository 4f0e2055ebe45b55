package dev.cairn.server.mcp;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Authenticator;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a request reach the MCP endpoint only with a Cairn bearer token that authenticates; every
 * other request gets 401 with {@code WWW-Authenticate: Bearer resource_metadata=...} (RFC 9728
 * section 5.1), so a client can discover how to authenticate. The tools' gRPC calls check the same
 * token again; this check only answers at the HTTP level, as MCP clients expect.
 */
final class BearerFilter extends HttpFilter {
  private static final Logger log = LoggerFactory.getLogger(BearerFilter.class);
  private static final String BEARER = "bearer ";
  /** Longer than any credential Cairn accepts (the gRPC edge has the same bound). */
  private static final int MAX_CREDENTIAL_CHARS = 8 * 1024;
  static final String CALLER_ATTRIBUTE = McpCaller.KEY;

  private final Authenticator authenticator;
  private final ResourceUrls urls;

  BearerFilter(Authenticator authenticator, ResourceUrls urls) {
    this.authenticator = requireNonNull(authenticator, "authenticator");
    this.urls = requireNonNull(urls, "urls");
  }

  @Override
  protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    String header = request.getHeader("Authorization");
    if (header == null || header.isBlank()) {
      refuse(request, response, null, "send 'Authorization: Bearer <Cairn API token>'");
      return;
    }
    if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())
        || header.length() > BEARER.length() + MAX_CREDENTIAL_CHARS) {
      refuse(request, response, "invalid_request", "expected: Authorization: Bearer <Cairn API token>");
      return;
    }
    String token = header.substring(BEARER.length()).trim();
    Principal principal;
    try {
      principal = authenticator.authenticate(token);
    } catch (CairnException e) {
      if (e.kind() != CairnException.Kind.UNAUTHENTICATED) {
        throw e;
      }
      refuse(request, response, "invalid_token", e.getMessage());
      return;
    }
    if (!principal.isUser()) {
      // the admin token manages users; it owns no vault, so the tools have nothing to act on
      refuse(request, response, "invalid_token", "the MCP endpoint needs a user's API token");
      return;
    }
    request.setAttribute(CALLER_ATTRIBUTE, new McpCaller(token, principal));
    chain.doFilter(request, response);
  }

  private void refuse(HttpServletRequest request, HttpServletResponse response, @Nullable String error, String why)
      throws IOException {
    log.info("MCP request refused: {}", why);
    StringBuilder challenge = new StringBuilder("Bearer resource_metadata=\"")
        .append(urls.metadataUrl(request)).append('"');
    if (error != null) {
      challenge.append(", error=\"").append(error).append('"');
    }
    response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
    response.setHeader("WWW-Authenticate", challenge.toString());
    response.setContentType("application/json");
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    response.getWriter().write(Json.string(java.util.Map.of(
        "error", error == null ? "unauthorized" : error, "error_description", why)));
  }
}
