package dev.cairn.server.audit;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cairn.client.cli.CairnCli;
import dev.cairn.client.cli.ClientFactory;
import dev.cairn.server.testing.CairnTestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** One in-process run of the {@code cairn} CLI against the test server, as a user (or nobody). */
record CliRun(int exit, String out, String err, byte[] stdout) {

  static CliRun as(CairnTestServer.@Nullable TestUser user, String... args) {
    Map<String, String> env = new HashMap<>();
    env.put("CAIRN_TARGET", "localhost:" + CairnTestServer.get().server().grpcPort());
    if (user != null) {
      env.put("CAIRN_TOKEN", user.token());
    }
    var out = new StringWriter();
    var err = new StringWriter();
    var stdout = new ByteArrayOutputStream();
    int exit = new CairnCli(ClientFactory.DEFAULT, new PrintWriter(out), new PrintWriter(err), env,
        Clock.systemUTC(), stdout, false).execute(args);
    return new CliRun(exit, out.toString(), err.toString(), stdout.toByteArray());
  }

  /** The output of a {@code -o json} run. */
  JsonObject json() {
    return JsonParser.parseString(out).getAsJsonObject();
  }

  String stdoutText() {
    return new String(stdout, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "exit " + exit + "\nout: " + out + "\nerr: " + err;
  }
}
