package dev.cairn.server.config;

/** A configuration value is missing or malformed; the server refuses to start. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
