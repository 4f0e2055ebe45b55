package dev.cairn.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.cli.CairnCli;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn vault|share|link|consent} end to end, in process, against the real server. */
class VaultCliEndToEndTest {
  private final CairnTestServer server = CairnTestServer.get();
  @TempDir Path dir;

  private Path randomFile(String name, int size) throws Exception {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return Files.write(dir.resolve(name), bytes);
  }

  /** Uploads through the CLI and returns the item's id. */
  private static String put(TestUser owner, Path file, String... extra) {
    String[] args = new String[4 + extra.length];
    args[0] = "vault";
    args[1] = "put";
    args[2] = file.toString();
    args[3] = "--output=json";
    System.arraycopy(extra, 0, args, 4, extra.length);
    CliRun run = CliRun.as(owner, args);
    assertThat(run.exit()).as(run.toString()).isZero();
    String name = run.json().getAsJsonObject("item").get("name").getAsString();
    return name.substring("items/".length());
  }

  @Test
  void vaultPutGetLsVersionsRmRoundTripsALargeFile() throws Exception {
    TestUser owner = server.newUser("cli-vault");
    Path file = randomFile("scan.bin", 3 * 1024 * 1024 + 17);

    String id = put(owner, file, "--label", "kind=test", "--media-type", "application/octet-stream");

    Path back = dir.resolve("back.bin");
    CliRun get = CliRun.as(owner, "vault", "get", id, "-O", back.toString());
    assertThat(get.exit()).as(get.toString()).isZero();
    assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(file));

    CliRun ls = CliRun.as(owner, "vault", "ls", "--label", "kind=test");
    assertThat(ls.exit()).as(ls.toString()).isZero();
    assertThat(ls.out()).contains(id, "scan.bin", "kind=test");

    CliRun versions = CliRun.as(owner, "vault", "versions", id);
    assertThat(versions.exit()).as(versions.toString()).isZero();
    assertThat(versions.out()).contains("VERSION", "3.0 MiB");

    CliRun audit = CliRun.as(owner, "audit", "ls", "--item", id);
    assertThat(audit.out()).contains("item_create", "item_download");

    CliRun rm = CliRun.as(owner, "vault", "rm", id);
    assertThat(rm.exit()).as(rm.toString()).isZero();
    assertThat(rm.out()).contains("deleted items/" + id);
    assertThat(CliRun.as(owner, "vault", "ls").out()).doesNotContain(id);
    assertThat(CliRun.as(owner, "vault", "ls", "--all").out()).contains(id);
  }

  @Test
  void vaultGetOfSomeoneElsesItemIsNotFoundAndLandsInTheOwnersAuditLog() throws Exception {
    TestUser owner = server.newUser("cli-vault-owner");
    TestUser stranger = server.newUser("cli-vault-stranger");
    String id = put(owner, randomFile("private.bin", 1000));

    CliRun get = CliRun.as(stranger, "vault", "get", id, "-O", dir.resolve("stolen").toString());

    assertThat(get.exit()).isEqualTo(CairnCli.SERVER_ERROR);
    assertThat(get.err()).contains("NOT_FOUND");
    assertThat(dir.resolve("stolen")).doesNotExist();
    assertThat(CliRun.as(stranger, "vault", "ls").out()).doesNotContain(id);
    // recorded asynchronously (AccessDenials), once the items code calls it
    long deadline = System.nanoTime() + 10_000_000_000L;
    String audit = "";
    while (!audit.contains("access_denied") && System.nanoTime() < deadline) {
      audit = CliRun.as(owner, "audit", "ls", "--item", id, "--action", "access_denied").out();
      Thread.sleep(100);
    }
    assertThat(audit).contains("users/" + stranger.id());
  }

  @Test
  void shareGrantOpensTheItemAndRevokeClosesIt() throws Exception {
    TestUser owner = server.newUser("cli-share-owner");
    TestUser friend = server.newUser("cli-share-friend");
    Path file = randomFile("shared.bin", 5000);
    String id = put(owner, file);

    CliRun grant = CliRun.as(owner, "share", "grant", id, friend.id(), "--role", "read", "--purpose", "cli test",
        "--expires", "1d", "-o", "json");
    assertThat(grant.exit()).as(grant.toString()).isZero();
    String grantName = grant.json().getAsJsonObject("grant").get("name").getAsString();

    Path got = dir.resolve("friend.bin");
    CliRun friendGet = CliRun.as(friend, "vault", "get", id, "-O", got.toString());
    assertThat(friendGet.exit()).as(friendGet.toString()).isZero();
    assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(file));
    assertThat(CliRun.as(friend, "share", "ls", "--to-me").out()).contains(grantName.substring("grants/".length()));
    assertThat(CliRun.as(owner, "audit", "ls", "--item", id).out()).contains(grantName, "users/" + friend.id());

    CliRun revoke = CliRun.as(owner, "share", "revoke", grantName);
    assertThat(revoke.exit()).as(revoke.toString()).isZero();
    CliRun after = CliRun.as(friend, "vault", "get", id, "-O", dir.resolve("again").toString());
    assertThat(after.exit()).isEqualTo(CairnCli.SERVER_ERROR);
    assertThat(after.err()).contains("NOT_FOUND");
  }

  @Test
  void linkCreateRedeemsOnceWithoutAnAccount() throws Exception {
    TestUser owner = server.newUser("cli-link");
    Path file = randomFile("given.bin", 4000);
    String id = put(owner, file);

    CliRun create = CliRun.as(owner, "link", "create", id, "--expires", "7d", "--uses", "1", "-o", "json");
    assertThat(create.exit()).as(create.toString()).isZero();
    String token = create.json().get("token").getAsString();
    String link = create.json().getAsJsonObject("accessLink").get("name").getAsString();

    Path got = dir.resolve("redeemed.bin");
    CliRun redeem = CliRun.as(null, "link", "redeem", token, "-O", got.toString());
    assertThat(redeem.exit()).as(redeem.toString()).isZero();
    assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(file));
    assertThat(redeem.err()).contains("uses left: 0");

    CliRun again = CliRun.as(null, "link", "redeem", token, "-O", dir.resolve("twice").toString());
    assertThat(again.exit()).isEqualTo(CairnCli.SERVER_ERROR);

    assertThat(CliRun.as(owner, "link", "revoke", link).exit()).isZero();
    assertThat(CliRun.as(owner, "audit", "ls", "--item", id, "--action", "link_redeem").out()).contains(link);
  }

  @Test
  void consentCreateListReceiptRevoke() throws Exception {
    TestUser owner = server.newUser("cli-consent");
    TestUser recipient = server.newUser("cli-consent-to");
    String id = put(owner, randomFile("payslip.bin", 100));

    CliRun create = CliRun.as(owner, "consent", "create", recipient.id(), "--purpose", "mortgage application",
        "--item", id, "--role", "read", "--until", "30d", "--agree", "-o", "json");
    assertThat(create.exit()).as(create.toString()).isZero();
    String consent = create.json().getAsJsonObject("consent").get("name").getAsString();

    assertThat(CliRun.as(owner, "consent", "ls").out()).contains(consent.substring("consents/".length()), "mortgage");
    CliRun receipt = CliRun.as(owner, "consent", "receipt", consent);
    assertThat(receipt.exit()).as(receipt.toString()).isZero();
    assertThat(receipt.out()).contains("mortgage application");
    assertThat(receipt.err()).contains("signature");

    CliRun revoke = CliRun.as(owner, "consent", "revoke", consent);
    assertThat(revoke.exit()).as(revoke.toString()).isZero();
    assertThat(CliRun.as(recipient, "vault", "get", id, "-O", dir.resolve("nope").toString()).exit())
        .isEqualTo(CairnCli.SERVER_ERROR);
  }
}
