package dev.cairn.server.chat;

import static dev.cairn.server.chat.ChatFixture.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.cairn.chat.v1.ListMessagesRequest;
import dev.cairn.chat.v1.Message;
import dev.cairn.client.cli.CairnCli;
import dev.cairn.client.cli.ClientFactory;
import dev.cairn.server.chat.ScriptedGenerator.Script;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code cairn chat} end to end, in process, against a real server over Netty with a scripted generator. */
class ChatCliEndToEndTest {
  private static final ChatFixture F = ChatFixture.INSTANCE;
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Pattern CONVERSATION = Pattern.compile("conversation: (conversations/\\S+)");

  /** A CLI run on its own thread, fed line by line, its output readable while it runs. */
  static final class Chat implements AutoCloseable {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    private final PipedOutputStream stdin = new PipedOutputStream();
    private final CompletableFuture<Integer> exit;

    Chat(int port, TestUser user, String... args) throws IOException {
      var in = new PipedInputStream(stdin);
      var cli = new CairnCli(ClientFactory.DEFAULT, new PrintWriter(out, true), new PrintWriter(err, true),
          Map.of("CAIRN_TARGET", "localhost:" + port, "CAIRN_TOKEN", user.token()), Clock.systemUTC(),
          new ByteArrayOutputStream(), false).stdin(in);
      String[] argv = new String[args.length + 1];
      argv[0] = "chat";
      System.arraycopy(args, 0, argv, 1, args.length);
      exit = CompletableFuture.supplyAsync(() -> cli.execute(argv));
    }

    void type(String line) throws IOException {
      stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    }

    void awaitOut(String text) throws InterruptedException {
      assertThat(eventually(WAIT, () -> out.toString().contains(text))).as("output shows %s; %s", text, this).isTrue();
    }

    void awaitErr(String text) throws InterruptedException {
      assertThat(eventually(WAIT, () -> err.toString().contains(text))).as("stderr shows %s; %s", text, this).isTrue();
    }

    String conversation() {
      var m = CONVERSATION.matcher(out.toString());
      assertThat(m.find()).as(toString()).isTrue();
      return m.group(1);
    }

    /** Ends stdin and waits for the exit code. */
    int finish() throws Exception {
      stdin.close();
      return exit.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
      stdin.close();
    }

    @Override
    public String toString() {
      return "out: " + out + "\nerr: " + err;
    }
  }

  /** A whole session from a byte array of lines. */
  private static Chat run(TestUser user, String input, String... args) throws Exception {
    var chat = new Chat(F.a.grpcPort(), user, args);
    chat.stdin.write(input.getBytes(StandardCharsets.UTF_8));
    assertThat(chat.finish()).as(chat.toString()).isZero();
    return chat;
  }

  private static List<Message> messages(TestUser user, String conversation) {
    return F.chat(user).listMessages(ListMessagesRequest.newBuilder().setParent(conversation).setPageSize(100).build())
        .getMessagesList();
  }

  @Test
  void pipedQuestionStreamsTheAnswerThenListsItsCitationsAndRegenerateAddsASecondAnswer() throws Exception {
    TestUser alice = F.newUser("cli-chat");
    String item = F.document(alice, "Heron notes", "Grey herons nest in colonies called heronries near water.");
    F.generatorA.script(Script.of("Herons nest ", "in heronries 🪺 [1]", "."));

    Chat chat = run(alice, "Where do herons nest?\n/regenerate\n/quit\n");

    String conversation = chat.conversation();
    assertThat(chat.out.toString()).containsSubsequence(
        "Herons nest in heronries 🪺 [1].\n", "[1] Heron notes  " + item + " v1\n",
        "Herons nest in heronries 🪺 [1].\n", "[1] Heron notes  " + item + " v1\n");
    List<Message> stored = messages(alice, conversation);
    assertThat(stored).extracting(Message::getRole).containsExactly(
        Message.Role.ROLE_USER, Message.Role.ROLE_ASSISTANT, Message.Role.ROLE_ASSISTANT);
    // the second answer regenerates the first: a sibling answering the same question
    assertThat(stored.get(2).getReplyTo()).isEqualTo(stored.get(1).getReplyTo()).isEqualTo(stored.get(0).getName());
    assertThat(stored.get(2).getText()).isEqualTo("Herons nest in heronries 🪺 [1].");

    // continuing it by name: /resume of the latest answer shows it whole, a new question follows it
    F.generatorA.script(Script.of("In heronries [1]."));
    Chat again = run(alice, "/resume\nAnd where exactly?\n", conversation.substring("conversations/".length()));
    assertThat(again.out.toString()).startsWith("conversation: " + conversation + " (3 messages")
        .containsSubsequence("Herons nest in heronries 🪺 [1].\n", "[1] Heron notes", "In heronries [1].\n");
    List<Message> after = messages(alice, conversation);
    assertThat(after).hasSize(5);
    assertThat(after.get(3).getParent()).isEqualTo(stored.get(2).getName());
  }

  @Test
  void cancelMidAnswerStopsItAndTheServerKeepsThePartialTextAsCancelled() throws Exception {
    TestUser alice = F.newUser("cli-cancel");
    F.document(alice, "Otters", "River otters eat fish and crayfish.");
    F.generatorA.script(Script.of("Otters eat ", "fish", " and never stop").holdingAfter(2));

    try (Chat chat = new Chat(F.a.grpcPort(), alice)) {
      chat.type("What do otters eat?");
      chat.awaitOut("Otters eat fish");
      chat.type("/cancel");
      chat.awaitOut("[cancelled]");
      chat.type("/quit");
      assertThat(chat.finish()).as(chat.toString()).isZero();

      Message answer = messages(alice, chat.conversation()).getLast();
      assertThat(answer.getState()).isEqualTo(Message.State.STATE_CANCELLED);
      assertThat(answer.getText()).isEqualTo("Otters eat fish");
      assertThat(chat.out.toString()).contains("Otters eat fish\n[cancelled]\n[1] Otters").doesNotContain("never stop");
    }
  }

  @Test
  void resumeAfterADroppedConnectionPrintsTheRestOfTheAnswerOnly() throws Exception {
    TestUser alice = F.newUser("cli-resume");
    F.document(alice, "Moles", "Moles dig tunnels under lawns.");
    F.generatorA.script(Script.of("Moles ", "dig ", "tunnels [1].").holdingAfter(1));

    try (var proxy = new Proxy(F.a.grpcPort()); Chat chat = new Chat(proxy.port(), alice)) {
      chat.type("What do moles do?");
      chat.awaitOut("Moles ");
      proxy.dropConnections();
      chat.awaitErr("/resume shows the rest");
      F.generatorA.release();
      chat.type("/resume");
      chat.awaitOut("tunnels [1].");
      chat.type("/quit");
      assertThat(chat.finish()).as(chat.toString()).isZero();

      assertThat(chat.err.toString()).contains("UNAVAILABLE");
      assertThat(chat.out.toString()).contains("Moles \ndig tunnels [1].\n[1] Moles");
      Message answer = messages(alice, chat.conversation()).getLast();
      assertThat(answer.getText()).isEqualTo("Moles dig tunnels [1].");
      assertThat(answer.getState()).isEqualTo(Message.State.STATE_COMPLETED);
    }
  }

  @Test
  void ctrlCStopsTheAnswerInARealProcessAndTheProgramGoesOn() throws Exception {
    TestUser alice = F.newUser("cli-sigint");
    F.document(alice, "Otters", "River otters eat fish and crayfish.");
    F.generatorA.script(Script.of("Otters eat ", "fish", " and never stop").holdingAfter(2));
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    var builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, CairnCli.class.getName(), "chat");
    builder.environment().put("CAIRN_TARGET", "localhost:" + F.a.grpcPort());
    builder.environment().put("CAIRN_TOKEN", alice.token());
    Process cli = builder.start();
    try {
      var out = new StringBuffer();
      var err = new StringBuffer();
      collect(cli.getInputStream(), out);
      collect(cli.getErrorStream(), err);
      var stdin = cli.getOutputStream();
      stdin.write("What do otters eat?\n".getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      assertThat(eventually(WAIT, () -> out.toString().contains("Otters eat fish"))).as("out: %s err: %s", out, err).isTrue();
      // a JVM started with SIGINT ignored (a background job) cannot take it over; it says so
      assumeFalse(err.toString().contains("ignores Ctrl-C"), "this test runs with SIGINT ignored");

      assertThat(new ProcessBuilder("kill", "-INT", Long.toString(cli.pid())).start().waitFor()).isZero();

      assertThat(eventually(WAIT, () -> out.toString().contains("[cancelled]"))).as("out: %s err: %s", out, err).isTrue();
      assertThat(cli.isAlive()).isTrue();
      stdin.write("/quit\n".getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      assertThat(cli.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(cli.exitValue()).as("out: %s err: %s", out, err).isZero();
      Message answer = messages(alice, CONVERSATION.matcher(out).results().findFirst().orElseThrow().group(1)).getLast();
      assertThat(answer.getState()).isEqualTo(Message.State.STATE_CANCELLED);
      assertThat(answer.getText()).isEqualTo("Otters eat fish");
    } finally {
      cli.destroyForcibly();
    }
  }

  private static void collect(InputStream in, StringBuffer into) {
    Thread.ofVirtual().start(() -> {
      try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
        char[] buffer = new char[4096];
        for (int n; (n = reader.read(buffer)) >= 0; ) {
          into.append(buffer, 0, n);
        }
      } catch (IOException e) {
        // the process ended
      }
    });
  }

  /** A TCP forwarder to the server whose connections the test can cut, as a network would. */
  static final class Proxy implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0);
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    Proxy(int target) throws IOException {
      Thread.ofVirtual().start(() -> {
        while (!listener.isClosed()) {
          try {
            Socket client = listener.accept();
            Socket server = new Socket("localhost", target);
            sockets.add(client);
            sockets.add(server);
            pump(client.getInputStream(), server.getOutputStream());
            pump(server.getInputStream(), client.getOutputStream());
          } catch (IOException e) {
            // closed
          }
        }
      });
    }

    int port() {
      return listener.getLocalPort();
    }

    private static void pump(InputStream in, OutputStream out) {
      Thread.ofVirtual().start(() -> {
        try {
          in.transferTo(out);
        } catch (IOException e) {
          // a dropped connection
        }
      });
    }

    void dropConnections() throws IOException {
      for (Socket s : sockets) {
        s.close();
      }
      sockets.clear();
    }

    @Override
    public void close() throws IOException {
      listener.close();
      dropConnections();
    }
  }
}
