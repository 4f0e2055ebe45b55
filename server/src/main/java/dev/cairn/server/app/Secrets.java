package dev.cairn.server.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves a secret: the configured value when there is one, else the value kept in a file
 * of the data folder, generated (mode 600) on the first start.
 */
final class Secrets {
  private static final Logger log = LoggerFactory.getLogger(Secrets.class);

  private Secrets() {}

  static String resolve(@Nullable String configured, Path dataDir, String fileName, String variable, Supplier<String> generator) {
    if (configured != null) {
      return configured;
    }
    Path file = dataDir.resolve(fileName);
    try {
      if (Files.exists(file)) {
        return Files.readString(file).trim();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + file, e);
    }
    String value = generator.get();
    DemoUser.writeSecret(file, value + "\n");
    log.warn("{} is not set: generated one in {} (replicas must share it: set {})", variable, file, variable);
    return value;
  }
}
