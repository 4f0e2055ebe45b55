package dev.cairn.server.mcp;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RFC 9728 OAuth protected-resource metadata for the MCP endpoint. Cairn issues its own API tokens
 * (no OAuth authorization server), so the document names no {@code authorization_servers}: it tells
 * a client that the endpoint takes a bearer token in the header, and which scopes tokens carry.
 */
final class ResourceMetadataServlet extends HttpServlet {
  private final ResourceUrls urls;

  ResourceMetadataServlet(ResourceUrls urls) {
    this.urls = urls;
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("resource", urls.resource(request));
    metadata.put("resource_name", "Cairn");
    metadata.put("bearer_methods_supported", List.of("header"));
    metadata.put("scopes_supported", List.of("read", "write"));
    metadata.put("resource_documentation",
        "Create a Cairn API token (cairn tokens create, or the console) and send it as Authorization: Bearer <token>");
    response.setContentType("application/json");
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    response.setHeader("Cache-Control", "max-age=3600");
    response.getWriter().write(Json.string(metadata));
  }
}
