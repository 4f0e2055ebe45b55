package dev.cairn.client.cli;

import static java.util.Objects.requireNonNull;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnError;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code cairn} command. Each command group is one class ({@link TokenCommand}, …) that reaches
 * this root through {@code @ParentCommand} and runs its work in {@link #call(ClientAction)}, which
 * opens the client, prints errors and picks the exit code: 0 ok, 1 the server said no (a gRPC
 * error), 2 bad usage.
 *
 * <p>In-process use (tests): {@code new CairnCli(factory, out, err, env).execute(args)}, or
 * {@code new CommandLine(new CairnCli(factory, out, err, env)).execute(args)} (then picocli's own
 * usage messages go to {@code System.err}).
 */
@Command(
    name = "cairn",
    scope = CommandLine.ScopeType.INHERIT, // --help on every subcommand
    mixinStandardHelpOptions = true,
    versionProvider = CairnCli.Version.class,
    description = "Command-line client for a Cairn server.",
    footer = {
      "",
      "Environment: CAIRN_TARGET, CAIRN_TOKEN, CAIRN_TLS, CAIRN_CA_FILE, CAIRN_ALLOW_PLAINTEXT_TOKEN.",
      "Exit codes: 0 ok, 1 the server returned an error, 2 usage error, 3 audit log verification failed."
    },
    subcommands = {
      CommandLine.HelpCommand.class,
      WhoamiCommand.class,
      TokenCommand.class,
      UserCommand.class,
      VaultCommand.class,
      ShareCommand.class,
      LinkCommand.class,
      ConsentCommand.class,
      AuditCommand.class,
      SearchCommand.class,
      IngestCommand.class,
      ChatCommand.class,
    })
public final class CairnCli implements Callable<Integer> {

  public static final int OK = 0;
  public static final int SERVER_ERROR = 1;
  public static final int USAGE = 2;
  /** {@code cairn audit verify} found the log broken. */
  public static final int VERIFY_FAILED = 3;

  /** The work of one command, given an open client. */
  @FunctionalInterface
  public interface ClientAction {
    void run(CairnClient client, Output output);
  }

  @Mixin ClientOptions options;
  @Spec CommandSpec spec;

  private final ClientFactory factory;
  private final PrintWriter out;
  private final PrintWriter err;
  private final Map<String, String> env;
  private final Clock clock;
  private final OutputStream stdout;
  private final boolean errTerminal;
  private InputStream stdin = System.in;
  private boolean ownStdin;

  /** The real thing: System.out/err, the process environment, a Netty channel. */
  public CairnCli() {
    this(ClientFactory.DEFAULT,
        new PrintWriter(System.out, true, StandardCharsets.UTF_8),
        new PrintWriter(System.err, true, StandardCharsets.UTF_8),
        System.getenv(),
        Clock.systemUTC(),
        System.out,
        consoleIsTerminal());
  }

  public CairnCli(ClientFactory factory, PrintWriter out, PrintWriter err, Map<String, String> env) {
    this(factory, out, err, env, Clock.systemUTC());
  }

  /** In-process: content written to stdout ({@code vault get} without {@code -o}) goes to {@code out} as UTF-8 text. */
  public CairnCli(ClientFactory factory, PrintWriter out, PrintWriter err, Map<String, String> env, Clock clock) {
    this(factory, out, err, env, clock, textStream(out), false);
  }

  /**
   * In-process with a byte stream for content ({@code vault get}, {@code link redeem} without
   * {@code -o}); {@code errTerminal} turns progress bars on.
   */
  public CairnCli(ClientFactory factory, PrintWriter out, PrintWriter err, Map<String, String> env, Clock clock,
      OutputStream stdout, boolean errTerminal) {
    this.stdout = requireNonNull(stdout, "stdout");
    this.errTerminal = errTerminal;
    this.factory = requireNonNull(factory, "factory");
    this.out = requireNonNull(out, "out");
    this.err = requireNonNull(err, "err");
    this.env = Map.copyOf(requireNonNull(env, "env"));
    this.clock = requireNonNull(clock, "clock");
    this.options = new ClientOptions();
  }

  /** Held so the level sticks: JUL keeps loggers weakly. */
  private static final Logger GRPC_LOGGER = Logger.getLogger("io.grpc");

  public static void main(String[] args) {
    // grpc-java logs connection failures with stack traces; the CLI prints its own one-line error.
    GRPC_LOGGER.setLevel(Level.SEVERE);
    System.exit(new CairnCli().execute(args));
  }

  /** A CommandLine that prints usage and errors to this CLI's writers. */
  public CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(this);
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
      err.println("error: " + e.getMessage());
      err.flush();
      return SERVER_ERROR;
    });
    return commandLine;
  }

  /** Runs one command line and returns its exit code. */
  public int execute(String... args) {
    try {
      return commandLine().execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** {@code cairn} alone: show what it can do. */
  @Override
  public Integer call() {
    spec.commandLine().usage(err);
    return USAGE;
  }

  /** Opens a client, runs {@code action}, closes the client; turns failures into exit codes. */
  public int call(ClientAction action) {
    requireNonNull(action, "action");
    ConnectionSettings settings;
    try {
      settings = options.resolve(env);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return USAGE;
    }
    try (CairnClient client = factory.create(settings)) {
      action.run(client, new Output(out, options.output));
      return OK;
    } catch (StatusRuntimeException e) {
      err.println("error: " + CairnError.describe(e));
      return SERVER_ERROR;
    } catch (RuntimeException e) {
      if (e.getCause() instanceof StatusException cause) {
        err.println("error: " + CairnError.describe(cause));
        return SERVER_ERROR;
      }
      if (e instanceof IllegalArgumentException) {
        err.println("error: " + e.getMessage());
        return USAGE;
      }
      throw e;
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The environment the CLI was started with (e.g. NO_COLOR). */
  Map<String, String> env() {
    return env;
  }

  public PrintWriter err() {
    return err;
  }

  /**
   * In-process: what {@code cairn chat} reads its lines from instead of {@code System.in}; the
   * CLI then leaves the process's Ctrl-C handling alone.
   */
  public CairnCli stdin(InputStream in) {
    this.stdin = requireNonNull(in, "in");
    this.ownStdin = true;
    return this;
  }

  InputStream stdin() {
    return stdin;
  }

  /** True when lines come from the process's own stdin (so Ctrl-C is ours to handle). */
  boolean readsProcessStdin() {
    return !ownStdin;
  }

  /** Where downloaded bytes go when no file is named. */
  OutputStream stdout() {
    return stdout;
  }

  /** Whether progress bars may be drawn. */
  boolean errIsTerminal() {
    return errTerminal;
  }

  /**
   * True when the JVM runs attached to a terminal. JDK 22+ always returns a Console and says
   * through {@code isTerminal()} (looked up reflectively: this code targets 21); on 21 a
   * Console exists only on a terminal.
   */
  private static boolean consoleIsTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  private static OutputStream textStream(PrintWriter out) {
    return new OutputStream() {
      private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

      @Override
      public void write(int b) {
        pending.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        pending.write(b, off, len);
      }

      @Override
      public void flush() {
        out.print(pending.toString(StandardCharsets.UTF_8));
        out.flush();
        pending.reset();
      }

      @Override
      public void close() {
        flush();
      }
    };
  }

  public Clock clock() {
    return clock;
  }

  /** {@code cairn --version}: the jar's Implementation-Version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = CairnCli.class.getPackage().getImplementationVersion();
      return new String[] {"cairn " + (version == null ? "(development build)" : version)};
    }
  }
}
