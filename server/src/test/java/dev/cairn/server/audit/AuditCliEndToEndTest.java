package dev.cairn.server.audit;

import dev.cairn.server.core.Caller;
import static dev.cairn.server.audit.AuditFixtures.append;
import static dev.cairn.server.audit.AuditFixtures.as;
import static dev.cairn.server.audit.AuditFixtures.id;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.cli.CairnCli;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.server.audit.AccessDenials;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code cairn audit ls|verify}, in process, against the real server. */
class AuditCliEndToEndTest {
  private final CairnTestServer server = CairnTestServer.get();

  @Test
  void auditLsShowsWhoWasRefusedMyItem() throws Exception {
    TestUser owner = server.newUser("cli-audit-owner");
    TestUser stranger = server.newUser("cli-audit-stranger");
    UUID item = AuditFixtures.insertItem(owner);
    new AccessDenials(TestDatabase.get().app(), new AuditLog(AuditFixtures.HMAC_KEY, Clock.systemUTC()))
        .submit(new Caller(as(stranger), "-", "DownloadItem"), item).get(10, TimeUnit.SECONDS);

    CliRun run = CliRun.as(owner, "audit", "ls", "--item", item.toString(), "--action", "access_denied", "--since", "1h");

    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(run.out()).contains("SEQ", "users/" + stranger.id(), "access_denied", "items/" + item, "denied",
        "action=DownloadItem");

    CliRun strangers = CliRun.as(stranger, "audit", "ls");
    assertThat(strangers.exit()).isZero();
    assertThat(strangers.out()).doesNotContain(item.toString());
  }

  @Test
  void auditLsPrintsJsonWithGrantAndConsent() {
    TestUser owner = server.newUser("cli-audit-json");
    UUID grant = UUID.randomUUID();
    append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/x", "req-9")
        .withVia(grant, null, null));

    CliRun run = CliRun.as(owner, "audit", "ls", "-o", "json", "--via", "grants/" + grant);

    assertThat(run.exit()).as(run.toString()).isZero();
    var event = run.json().getAsJsonArray("auditEvents").get(0).getAsJsonObject();
    assertThat(event.get("grant").getAsString()).isEqualTo("grants/" + grant);
    assertThat(event.get("action").getAsString()).isEqualTo("ACTION_ITEM_READ");
    assertThat(event.get("requestId").getAsString()).isEqualTo("req-9");
  }

  @Test
  void auditVerifyPassesThenCatchesATamperedEventWithExitThree() {
    TestUser owner = server.newUser("cli-audit-verify");
    for (int i = 1; i <= 3; i++) {
      append(id(owner), AuditLog.Entry.of("users/" + owner.id(), AuditAction.ITEM_READ, "items/x" + i, "r")
          .withDetails(Map.of("version", "1")));
    }

    CliRun ok = CliRun.as(owner, "audit", "verify");
    assertThat(ok.exit()).as(ok.toString()).isZero();
    assertThat(ok.out()).contains("verified", "yes", "events checked  3");
    String head = ok.out().lines().filter(l -> l.startsWith("head")).findFirst().orElseThrow().split("\\s+")[1];
    assertThat(head).startsWith("3:").hasSize(2 + 64);
    assertThat(CliRun.as(owner, "audit", "verify", "--expect", head).exit()).isZero();

    AuditFixtures.superuserUpdate(
        "UPDATE cairn.audit_events SET details = '{\"version\": \"2\"}'::jsonb WHERE owner_id = ? AND seq = 2", id(owner));

    CliRun broken = CliRun.as(owner, "audit", "verify");
    assertThat(broken.exit()).as(broken.toString()).isEqualTo(CairnCli.VERIFY_FAILED);
    assertThat(broken.out()).contains("NO", "first broken seq  2", "hash mismatch");
  }

  @Test
  void auditCommandsWithoutATokenAreRefused() {
    CliRun run = CliRun.as(null, "audit", "ls");
    assertThat(run.exit()).isEqualTo(CairnCli.SERVER_ERROR);
    assertThat(run.err()).contains("UNAUTHENTICATED");
  }
}
