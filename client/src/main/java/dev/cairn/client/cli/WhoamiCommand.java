package dev.cairn.client.cli;

import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.User;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code cairn whoami}: the user the token belongs to. */
@Command(name = "whoami", description = "Show the user the token belongs to.")
final class WhoamiCommand implements Callable<Integer> {

  @ParentCommand CairnCli cli;

  @Override
  public Integer call() {
    return cli.call((client, output) -> {
      User user = client.identity().getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser();
      output.print(user, text -> UserCommand.printUser(output, user));
    });
  }
}
