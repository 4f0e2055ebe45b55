package dev.cairn.server.app;

import dev.cairn.server.config.CairnConfig;
import dev.cairn.server.config.ConfigException;
import java.time.Clock;

/** {@code java -jar cairn-server.jar}: configuration from the environment, then serve. */
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
    CairnServer server = CairnServer.start(config, Clock.systemUTC(), System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "cairn-shutdown"));
    server.awaitTermination();
  }
}
