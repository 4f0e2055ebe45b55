package dev.cairn.server.app;

import dev.cairn.server.identity.IdentityService;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * On the first start of a fresh embedded database, creates the user {@code demo}, prints its
 * token once, and keeps it in {@code <data dir>/demo-token} (mode 600) so scripts can use it.
 */
final class DemoUser {
  static final String USERNAME = "demo";
  static final String TOKEN_FILE = "demo-token";

  private DemoUser() {}

  static void createIfFirstStart(IdentityService identity, Path dataDir, PrintStream out) {
    if (!identity.hasNoUsers()) {
      return;
    }
    String token = identity.createUserWithToken(USERNAME, "Demo User", "demo token (first start)");
    Path file = dataDir.resolve(TOKEN_FILE);
    writeSecret(file, token + "\n");
    out.println();
    out.println("  Cairn created the user 'demo'. Its API token (shown once; also in " + file + "):");
    out.println();
    out.println("    " + token);
    out.println();
    out.println("  Try:  CAIRN_TOKEN=" + token + " tools/bin/cairn whoami");
    out.println();
    out.flush();
  }

  static void writeSecret(Path file, String content) {
    try {
      Files.deleteIfExists(file);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, content, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + file, e);
    }
  }
}
