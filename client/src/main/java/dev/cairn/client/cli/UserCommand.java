package dev.cairn.client.cli;

import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.GetUserRequest;
import dev.cairn.identity.v1.User;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn user …}: create and look up users. */
@Command(name = "user", description = "Create and look up users.")
final class UserCommand extends CommandGroup {

  @Command(name = "create", description = "Create a user (needs the admin token).")
  int create(
      @Parameters(paramLabel = "USERNAME",
          description = "Lower-case letters, digits, '.', '_', '-'; starts with a letter.") String username,
      @Option(names = "--display-name", paramLabel = "NAME", description = "Name shown to people.")
          @Nullable String displayName) {
    return cli.call((client, output) -> {
      User.Builder user = User.newBuilder().setUsername(username);
      if (displayName != null) {
        user.setDisplayName(displayName);
      }
      User created = client.identity()
          .createUser(CreateUserRequest.newBuilder().setUser(user).build())
          .getUser();
      output.print(created, text -> printUser(output, created));
    });
  }

  @Command(name = "get", description = "Show a user (yourself by default; admins may show anyone).")
  int get(@Parameters(paramLabel = "USER", defaultValue = "me",
      description = "me, a user id, or users/{id} (default me).") String user) {
    return cli.call((client, output) -> {
      User found = client.identity().getUser(GetUserRequest.newBuilder().setName(userName(user)).build()).getUser();
      output.print(found, text -> printUser(output, found));
    });
  }

  static void printUser(Output output, User user) {
    output.fields(
        "username", user.getUsername(),
        "name", user.getName(),
        "display name", Output.orDash(user.getDisplayName()),
        "created", Output.time(user.hasCreateTime(), user.getCreateTime()));
  }
}
