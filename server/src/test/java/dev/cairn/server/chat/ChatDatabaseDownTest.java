package dev.cairn.server.chat;

import static dev.cairn.server.chat.ChatFixture.send;
import static dev.cairn.server.chat.ChatFixture.sendAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cairn.server.chat.ScriptedGenerator.Script;
import dev.cairn.server.db.DataAccessFailure;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An answer whose work loses the database (down, or no pool connection within the timeout) ends
 * UNAVAILABLE, which clients retry, as every other call does then — found by tools/load's
 * PostgreSQL-restart and full-pool faults, where only chat answers ended INTERNAL.
 */
class ChatDatabaseDownTest {
  private static final ChatFixture F = ChatFixture.INSTANCE;

  @AfterEach
  void restore() {
    F.generatorA.failWith(null);
    F.generatorA.script(Script.of("An answer."));
  }

  @Test
  void answerThatLosesTheDatabaseEndsUnavailableNotInternal() {
    TestUser alice = F.newUser("alice");
    F.document(alice, "Wrens", "Wrens sing loudly for their size.");
    var conversation = F.conversation(alice);
    F.generatorA.failWith(new DataAccessFailure(new SQLTransientConnectionException(
        "cairn - Connection is not available, request timed out after 30000ms.")));

    var error = catchThrowableOfType(StatusRuntimeException.class,
        () -> sendAll(F.chat(alice), send(conversation, "Do wrens sing?")));

    assertThat(error).isNotNull();
    assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }
}
