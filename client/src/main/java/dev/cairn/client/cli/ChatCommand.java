package dev.cairn.client.cli;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn chat [conversation]}: one line of stdin is one question; the answer is printed as
 * it streams, its citations after it. Works the same with piped stdin. Extends {@link
 * CommandGroup} for its helpers only: it is a leaf command.
 */
@Command(name = "chat", description = {
    "Ask questions about the documents you can read; answers stream with numbered citations.",
    "Without CONVERSATION a new one is started (its name is printed); with one, it is continued.",
    "Commands: /regenerate (a new answer to the last question), /resume (the rest of the last answer,",
    "e.g. after a dropped connection), /cancel or Ctrl-C (stop the answer, keep what was written), /quit."})
final class ChatCommand extends CommandGroup {

  @Parameters(paramLabel = "CONVERSATION", arity = "0..1",
      description = "A conversation to continue (id or conversations/{id}).")
  @Nullable String conversation;

  @Override
  public Integer call() {
    return cli.call((client, output) -> {
      var session = new ChatSession(client.chat(), output.out(), cli.err(), cli.errIsTerminal());
      session.open(conversation == null ? null : named("conversations", conversation));
      try (var lines = new ChatLines(cli.stdin(), session, cli.readsProcessStdin(), cli.err())) {
        session.run(lines);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }
}
