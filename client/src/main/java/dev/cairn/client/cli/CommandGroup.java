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

  /** {@code abc} or {@code items/abc} → {@code items/abc} (for {@code collection} "items"). */
  static String named(String collection, String idOrName) {
    return idOrName.startsWith(collection + "/") ? idOrName : collection + "/" + idOrName;
  }

  /**
   * Walks every page of a List call: {@code fetch} asks for the page a token names, {@code add}
   * keeps its rows, {@code next} reads its next_page_token ("" after the last page).
   */
  static <R> void allPages(
      java.util.function.Function<String, R> fetch,
      java.util.function.Consumer<R> add,
      java.util.function.Function<R, String> next) {
    String pageToken = "";
    do {
      R page = fetch.apply(pageToken);
      add.accept(page);
      pageToken = next.apply(page);
    } while (!pageToken.isEmpty());
  }

  /** The last segment of a resource name. */
  static String lastSegment(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  /** The time {@code duration} from now, by the CLI's clock. */
  com.google.protobuf.Timestamp fromNow(java.time.Duration duration) {
    java.time.Instant at = cli.clock().instant().plus(duration);
    return com.google.protobuf.Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }

  /** {@code key=value} pairs, in order; a pair without {@code =} is a usage error. */
  java.util.Map<String, String> labels(String option, java.util.@org.jspecify.annotations.Nullable List<String> pairs) {
    var labels = new java.util.LinkedHashMap<String, String>();
    if (pairs != null) {
      for (String pair : pairs) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw usage(option + ": '" + pair + "' (expected: key=value)");
        }
        labels.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
    }
    return labels;
  }

  /** A usage error (exit 2, with the command's usage) for the current command. */
  picocli.CommandLine.ParameterException usage(String message) {
    return new picocli.CommandLine.ParameterException(spec.commandLine(), message);
  }

  /** {@code me}, a user id, or {@code users/…} → a user resource name. */
  static String userName(String user) {
    return user.startsWith("users/") ? user : "users/" + user;
  }
}
