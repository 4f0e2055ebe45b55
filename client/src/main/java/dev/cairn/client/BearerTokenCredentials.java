package dev.cairn.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.util.Locale;
import java.util.concurrent.Executor;

/**
 * Sends {@code authorization: Bearer <token>} on every call. A bearer token sent in the clear can be
 * replayed by anyone on the path, so over a plaintext connection it is only sent to a loopback
 * address (the laptop setup) unless the caller explicitly allows it (e.g. a trusted cluster network
 * or a service mesh that encrypts for us).
 */
final class BearerTokenCredentials extends CallCredentials {

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String token;
  private final boolean allowPlaintext;

  BearerTokenCredentials(String token, boolean allowPlaintext) {
    this.token = requireNonNull(token, "token");
    this.allowPlaintext = allowPlaintext;
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    if (info.getSecurityLevel() == SecurityLevel.NONE
        && !allowPlaintext
        && !isLoopback(info.getAuthority())) {
      applier.fail(Status.UNAUTHENTICATED.withDescription(
          "refusing to send the bearer token in plaintext to " + info.getAuthority()
              + " (expected: TLS, a loopback address, or CAIRN_ALLOW_PLAINTEXT_TOKEN=true)"));
      return;
    }
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    applier.apply(headers);
  }

  /** True for {@code localhost}, {@code 127.x.x.x} and {@code ::1}, with or without a port. */
  static boolean isLoopback(String authority) {
    String host = authority;
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      host = end > 0 ? host.substring(1, end) : host;
    } else if (host.indexOf(':') == host.lastIndexOf(':')) { // at most one colon: host[:port]
      int colon = host.indexOf(':');
      host = colon >= 0 ? host.substring(0, colon) : host;
    }
    host = host.toLowerCase(Locale.ROOT);
    return host.equals("localhost")
        || host.endsWith(".localhost")
        || host.startsWith("127.")
        || host.equals("::1")
        || host.equals("0:0:0:0:0:0:0:1");
  }

  @Override
  public String toString() {
    return "BearerTokenCredentials[token=<redacted>]"; // never log the secret
  }
}
