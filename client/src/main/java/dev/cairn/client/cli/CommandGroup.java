package dev.cairn.client.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Base of a command group ({@code cairn token …}): its subcommands are {@code @Command} methods
 * that call {@link CairnCli#call}. Run alone, the group prints its usage and exits 2.
 */
abstract class CommandGroup implements Callable<Integer> {

  @ParentCommand CairnCli cli;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(cli.err());
    return CairnCli.USAGE;
  }

  /** {@code me}, a user id, or {@code users/…} → a user resource name. */
  static String userName(String user) {
    return user.startsWith("users/") ? user : "users/" + user;
  }
}
