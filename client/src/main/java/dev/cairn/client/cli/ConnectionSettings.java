package dev.cairn.client.cli;

import static java.util.Objects.requireNonNull;

import dev.cairn.client.CairnClient;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where and as whom the CLI connects, resolved from the global options, then the environment, then
 * the defaults.
 *
 * @param target {@code host:port}
 * @param token bearer token, or null
 * @param tls whether to use TLS
 * @param caFile PEM CA certificates to trust, or null for the JDK's
 * @param allowPlaintextToken send the token without TLS to hosts other than loopback
 */
public record ConnectionSettings(
    String target, @Nullable String token, boolean tls, @Nullable Path caFile, boolean allowPlaintextToken) {

  public ConnectionSettings {
    requireNonNull(target, "target");
  }

  /** A builder configured with these settings, for factories that want to add to it. */
  public CairnClient.Builder toBuilder() {
    CairnClient.Builder builder = CairnClient.builder()
        .userAgent("cairn-cli")
        .target(target)
        .token(token)
        .tls(tls)
        .allowPlaintextToken(allowPlaintextToken);
    if (caFile != null) {
      builder.trustCertificates(caFile);
    }
    return builder;
  }
}
