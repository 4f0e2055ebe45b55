package dev.cairn.server.app;

import dev.cairn.server.config.CairnConfig;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.db.DatabaseBootstrap;
import java.time.Clock;

/**
 * {@code java -jar cairn-server.jar}: configuration from the environment, then serve.
 * {@code java -jar cairn-server.jar rewrap-keys}: after a KEK rotation (new {@code CAIRN_KEK},
 * old one in {@code CAIRN_KEK_PREVIOUS}), re-wraps every data key with the new KEK and exits.
 * {@code java -jar cairn-server.jar migrate}: migrates the database at {@code CAIRN_DATABASE_URL}
 * and exits ({@link MigrateCommand}).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    CairnConfig config;
    try {
      config = CairnConfig.fromEnvironment();
    } catch (ConfigException e) {
      System.err.println("cairn: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (args.length > 0 && args[0].equals("migrate")) {
      System.exit(MigrateCommand.run(config, System.out, System.err));
      return;
    }
    if (args.length > 0 && args[0].equals("rewrap-keys")) {
      System.exit(rewrapKeys(config));
      return;
    }
    if (args.length > 0) {
      System.err.println("cairn: unknown command " + args[0] + " (expected: no argument, migrate or rewrap-keys)");
      System.exit(2);
      return;
    }
    CairnServer server;
    try {
      server = CairnServer.start(config, Clock.systemUTC(), System.out);
    } catch (DatabaseBootstrap.NotMigratedException e) {
      System.err.println("cairn: " + e.getMessage());
      System.exit(MigrateCommand.FAILED);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "cairn-shutdown"));
    server.awaitTermination();
  }

  /** Starts without serving the public port or metrics, re-wraps, stops. */
  private static int rewrapKeys(CairnConfig config) {
    var quiet =
        new CairnConfig(0, -1, config.dataDir(), config.database(), config.adminToken(),
            config.shutdownGrace(), false, config.logFormat(), config.keys(), config.vault(),
            config.jobs().withoutWorkers(), config.authCacheTtl(), config.search(), config.chat(),
            CairnConfig.WebConfig.OFF,
            new CairnConfig.McpConfig(-1, config.mcp().address(), null, config.mcp().maxResultChars()),
            config.tracing());
    try (CairnServer server = CairnServer.start(quiet, Clock.systemUTC(), System.out)) {
      var result = server.rewrapDataKeys();
      System.out.println("re-wrapped " + result.rewrapped() + " data keys with the current KEK"
          + (result.skipped() > 0 ? "; " + result.skipped() + " are wrapped by a KEK that is not configured (add it to CAIRN_KEK_PREVIOUS)" : ""));
      return result.skipped() > 0 ? 1 : 0;
    }
  }
}
