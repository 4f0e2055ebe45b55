package dev.cairn.client.cli;

import dev.cairn.client.CairnClient;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The global options every command accepts (before or after the subcommand name). Unset options
 * fall back to {@code CAIRN_TARGET}, {@code CAIRN_TOKEN}, {@code CAIRN_TLS}, {@code CAIRN_CA_FILE}.
 */
public final class ClientOptions {

  /** How results are printed. */
  public enum Format { text, json }

  @Option(names = "--target", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT",
      description = "Server address (env CAIRN_TARGET, default " + CairnClient.DEFAULT_TARGET + ").")
  @Nullable String target;

  @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
      description = "Bearer token (env CAIRN_TOKEN).")
  @Nullable String token;

  @Option(names = "--tls", scope = ScopeType.INHERIT, negatable = true, fallbackValue = "true",
      description = "Connect with TLS (env CAIRN_TLS, default off).")
  @Nullable Boolean tls;

  @Option(names = "--ca-file", scope = ScopeType.INHERIT, paramLabel = "PEM",
      description = "Trust these CA certificates; implies --tls (env CAIRN_CA_FILE).")
  @Nullable Path caFile;

  @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
      description = "Output format: ${COMPLETION-CANDIDATES} (default text).")
  Format output = Format.text;

  ConnectionSettings resolve(Map<String, String> env) {
    String resolvedTarget = firstNonBlank(target, env.get("CAIRN_TARGET"), CairnClient.DEFAULT_TARGET);
    String resolvedToken = firstNonBlank(token, env.get("CAIRN_TOKEN"), null);
    String caFromEnv = firstNonBlank(null, env.get("CAIRN_CA_FILE"), null);
    Path resolvedCa = caFile != null ? caFile : caFromEnv == null ? null : Path.of(caFromEnv);
    boolean resolvedTls = tls != null ? tls : resolvedCa != null || flag(env, "CAIRN_TLS");
    return new ConnectionSettings(
        resolvedTarget, resolvedToken, resolvedTls, resolvedCa, flag(env, "CAIRN_ALLOW_PLAINTEXT_TOKEN"));
  }

  private static boolean flag(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return false;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new IllegalArgumentException(name + ": '" + value + "' (expected: true or false)");
    };
  }

  private static @Nullable String firstNonBlank(@Nullable String a, @Nullable String b, @Nullable String fallback) {
    if (a != null && !a.isBlank()) {
      return a.strip();
    }
    if (b != null && !b.isBlank()) {
      return b.strip();
    }
    return fallback;
  }
}
