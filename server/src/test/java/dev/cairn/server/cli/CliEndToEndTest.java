package dev.cairn.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.cli.CairnCli;
import dev.cairn.client.cli.ClientFactory;
import dev.cairn.server.testing.CairnTestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The `cairn` command-line tool against a real server. */
class CliEndToEndTest {
  private final CairnTestServer cairn = CairnTestServer.get();

  private record Run(int exit, String out, String err) {}

  private Run cairn(Map<String, String> env, String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    int exit = new CairnCli(ClientFactory.DEFAULT, new PrintWriter(out, true), new PrintWriter(err, true), env).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private Map<String, String> env(String token) {
    return Map.of("CAIRN_TARGET", "localhost:" + cairn.server().grpcPort(), "CAIRN_TOKEN", token);
  }

  @Test
  void whoamiPrintsTheCaller() {
    var user = cairn.newUser("cli");
    var run = cairn(env(user.token()), "whoami");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains(user.user().getUsername()).contains(user.user().getName());
  }

  @Test
  void tokenCreateListRevoke() {
    var user = cairn.newUser("cli");
    var created = cairn(env(user.token()), "token", "create", "--name", "ci", "--scope", "read", "--ttl", "1d");
    assertThat(created.exit()).isZero();
    assertThat(created.out()).contains("cairn_pat_");
    var list = cairn(env(user.token()), "token", "list");
    assertThat(list.out()).contains("ci");
    String id = list.out().lines().filter(l -> l.contains("ci")).findFirst().orElseThrow().trim().split("\\s+")[0];
    assertThat(cairn(env(user.token()), "token", "revoke", id).exit()).isZero();
  }

  @Test
  void userCreateNeedsTheAdminToken() {
    var user = cairn.newUser("cli");
    var denied = cairn(env(user.token()), "user", "create", "someone-else");
    assertThat(denied.exit()).isEqualTo(1);
    assertThat(denied.err()).contains("PERMISSION_DENIED");
    var ok = cairn(env(CairnTestServer.ADMIN_TOKEN), "user", "create", "cli-made-" + System.nanoTime());
    assertThat(ok.exit()).isZero();
  }

  @Test
  void wrongTokenExitsWithUnauthenticated() {
    var run = cairn(env("cairn_pat_00000000000000000000000000000000_" + "0".repeat(64)), "whoami");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("UNAUTHENTICATED");
  }
}
