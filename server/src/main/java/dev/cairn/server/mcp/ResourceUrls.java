package dev.cairn.server.mcp;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import org.jspecify.annotations.Nullable;

/**
 * The endpoint's public URL and its RFC 9728 metadata URL: the configured public URL when Cairn
 * sits behind a proxy, else what the request itself was addressed to.
 */
final class ResourceUrls {
  static final String MCP_PATH = "/mcp";
  static final String METADATA_PATH = "/.well-known/oauth-protected-resource";

  private final @Nullable URI publicUrl;

  ResourceUrls(@Nullable URI publicUrl) {
    this.publicUrl = publicUrl;
  }

  /** The MCP endpoint's URL (the protected resource's identifier). */
  String resource(HttpServletRequest request) {
    return origin(request) + MCP_PATH;
  }

  String metadataUrl(HttpServletRequest request) {
    return origin(request) + METADATA_PATH;
  }

  private String origin(HttpServletRequest request) {
    if (publicUrl != null) {
      String url = publicUrl.toString();
      url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      return url.endsWith(MCP_PATH) ? url.substring(0, url.length() - MCP_PATH.length()) : url;
    }
    int port = request.getServerPort();
    boolean defaultPort = (port == 80 && "http".equals(request.getScheme()))
        || (port == 443 && "https".equals(request.getScheme()));
    String host = request.getServerName();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return request.getScheme() + "://" + host + (defaultPort ? "" : ":" + port);
  }
}
