package dev.cairn.client.cli;

import dev.cairn.client.CairnClient;

/** Opens the client a command runs against; tests swap in one that reaches an in-process or test server. */
@FunctionalInterface
public interface ClientFactory {

  /** The default: a Netty channel to {@code settings.target()}. */
  ClientFactory DEFAULT = settings -> settings.toBuilder().build();

  CairnClient create(ConnectionSettings settings);
}
