package dev.cairn.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.client.testing.FakeVaultServer;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.Consent;
import dev.cairn.vault.v1.CreateAccessLinkRequest;
import dev.cairn.vault.v1.CreateConsentRequest;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.RedeemAccessLinkRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import dev.cairn.vault.v1.VerifyAuditLogResponse;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vault, share, link, consent and audit commands: what they parse and send, against a recording fake. */
class VaultCliTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  private final FakeVaultServer server = new FakeVaultServer();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private Map<String, String> env = Map.of("CAIRN_TOKEN", "cairn_pat_a_b");
  @TempDir Path dir;

  @AfterEach
  void stop() {
    server.close();
  }

  private int run(String... args) {
    return run(false, args);
  }

  private int run(boolean terminal, String... args) {
    ClientFactory factory = settings -> server.clientBuilder().token(settings.token()).build();
    return new CairnCli(factory, new PrintWriter(out), new PrintWriter(err), env, Clock.fixed(NOW, ZoneOffset.UTC),
        stdout, terminal).execute(args);
  }

  @Test
  void putStreamsTheFileInMebibyteChunksWithSizeHashAndMetadata() throws Exception {
    byte[] content = new byte[2 * 1024 * 1024 + 123];
    new Random(7).nextBytes(content);
    Path file = dir.resolve("scan.pdf");
    Files.write(file, content);

    int exit = run("vault", "put", file.toString(), "--name", "Passport", "--media-type", "application/pdf",
        "--label", "kind=id", "--label", "country=fr", "--searchable");

    assertThat(exit).as(err.toString()).isZero();
    var metadata = server.request(UploadItemRequest.class).getMetadata();
    assertThat(metadata.getItem().getDisplayName()).isEqualTo("Passport");
    assertThat(metadata.getItem().getMediaType()).isEqualTo("application/pdf");
    assertThat(metadata.getItem().getLabelsMap()).containsExactly(Map.entry("kind", "id"), Map.entry("country", "fr"));
    assertThat(metadata.getItem().getSearchable()).isTrue();
    assertThat(metadata.getSizeBytes()).isEqualTo(content.length);
    assertThat(metadata.getContentSha256().toByteArray()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(content));
    assertThat(UUID.fromString(metadata.getRequestId())).isNotNull();
    assertThat(server.uploadedChunks).extracting(ByteString::size).containsExactly(1024 * 1024, 1024 * 1024, 123);
    assertThat(server.uploadedChunks.stream().reduce(ByteString.EMPTY, ByteString::concat).toByteArray()).isEqualTo(content);
    assertThat(out.toString()).contains("items/up1");
    assertThat(err.toString()).doesNotContain("%"); // not a terminal: no progress bar
  }

  @Test
  void putKeepsAGivenRequestIdAndDefaultsTheNameToTheFilesName() throws Exception {
    Path file = dir.resolve("notes.txt");
    Files.writeString(file, "hi");
    UUID id = UUID.randomUUID();

    assertThat(run("vault", "put", file.toString(), "--request-id", id.toString())).isZero();

    var metadata = server.request(UploadItemRequest.class).getMetadata();
    assertThat(metadata.getRequestId()).isEqualTo(id.toString());
    assertThat(metadata.getItem().getDisplayName()).isEqualTo("notes.txt");
    assertThat(server.uploadedChunks).hasSize(1);
  }

  @Test
  void putDrawsAProgressBarOnATerminalForLargeFilesUnlessQuiet() throws Exception {
    Path file = dir.resolve("big.bin");
    Files.write(file, new byte[3 * 1024 * 1024]);

    assertThat(run(true, "vault", "put", file.toString())).isZero();
    assertThat(err.toString()).contains("upload [", "3.0 MiB / 3.0 MiB", "100%", "/s");

    err.getBuffer().setLength(0);
    assertThat(run(true, "vault", "put", file.toString(), "--quiet")).isZero();
    assertThat(err.toString()).doesNotContain("upload [");
  }

  @Test
  void putOfAMissingFileIsAUsageErrorAndSendsNothing() {
    assertThat(run("vault", "put", dir.resolve("nope").toString())).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("expected: a readable file");
    assertThat(server.requests).isEmpty();
  }

  @Test
  void aBadLabelIsAUsageError() throws Exception {
    Path file = dir.resolve("a.txt");
    Files.writeString(file, "a");
    assertThat(run("vault", "put", file.toString(), "--label", "novalue")).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("expected: key=value");
  }

  @Test
  void getWritesTheVerifiedContentToAFileOrStdout() throws Exception {
    Path file = dir.resolve("out.bin");

    assertThat(run("vault", "get", "i1", "-O", file.toString(), "--version", "1")).as(err.toString()).isZero();
    assertThat(Files.readAllBytes(file)).isEqualTo(server.content);
    DownloadItemRequest request = server.request(DownloadItemRequest.class);
    assertThat(request.getName()).isEqualTo("items/i1");
    assertThat(request.getVersion()).isEqualTo(1);

    assertThat(run("vault", "get", "items/i1")).isZero();
    assertThat(stdout.toByteArray()).isEqualTo(server.content);
  }

  @Test
  void aCorruptDownloadFailsAndLeavesNoFile() throws Exception {
    server.corruptDownload = true;
    Path file = dir.resolve("out.bin");

    assertThat(run("vault", "get", "i1", "-O", file.toString())).isEqualTo(CairnCli.SERVER_ERROR);
    assertThat(err.toString()).contains("download corrupt");
    assertThat(file).doesNotExist();
    try (var left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void lsSendsLabelFiltersAndPrintsATable() {
    assertThat(run("vault", "ls", "--label", "kind=id", "--shared-with-me", "--all")).isZero();

    ListItemsRequest request = server.request(ListItemsRequest.class);
    assertThat(request.getLabelsList()).containsExactly("kind=id");
    assertThat(request.getSharedWithMe()).isTrue();
    assertThat(request.getShowDeleted()).isTrue();
    assertThat(out.toString()).contains("ID", "NAME", "i1", "passport.pdf", "2.0 KiB", "kind=id");
  }

  @Test
  void shareGrantSendsTargetGranteeRoleAndExpiry() {
    assertThat(run("share", "grant", "i1", "u2", "--role", "write", "--purpose", "tax return", "--expires", "30d"))
        .as(err.toString()).isZero();

    var grant = server.request(CreateGrantRequest.class).getGrant();
    assertThat(grant.getTarget()).isEqualTo("items/i1");
    assertThat(grant.getGrantee()).isEqualTo("users/u2");
    assertThat(grant.getRole()).isEqualTo(Role.ROLE_WRITE);
    assertThat(grant.getPurpose()).isEqualTo("tax return");
    assertThat(grant.getExpireTime().getSeconds()).isEqualTo(NOW.plusSeconds(30L * 86400).getEpochSecond());
    assertThat(out.toString()).contains("grants/g1");
  }

  @Test
  void shareGrantOnACollectionAndWithoutARoleIsAUsageError() {
    assertThat(run("share", "grant", "collections/c1", "users/u2", "--role", "READ")).isZero();
    assertThat(server.request(CreateGrantRequest.class).getGrant().getTarget()).isEqualTo("collections/c1");

    assertThat(run("share", "grant", "i1", "u2")).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("--role");
  }

  @Test
  void linkCreatePrintsTheTokenOnce() {
    assertThat(run("link", "create", "i1", "--expires", "7d", "--uses", "3", "--attest")).isZero();

    var link = server.request(CreateAccessLinkRequest.class).getAccessLink();
    assertThat(link.getItem()).isEqualTo("items/i1");
    assertThat(link.getMaxUses()).isEqualTo(3);
    assertThat(link.getRequireAttestation()).isTrue();
    assertThat(link.getExpireTime().getSeconds()).isEqualTo(NOW.plusSeconds(7L * 86400).getEpochSecond());
    assertThat(out.toString()).contains("cairn_lnk_l1_s3cret");
    assertThat(err.toString()).contains("not shown again");
  }

  @Test
  void linkCreateNeedsAnExpiry() {
    assertThat(run("link", "create", "i1")).isEqualTo(CairnCli.USAGE);
    assertThat(server.requests).isEmpty();
  }

  @Test
  void linkRedeemWorksWithoutATokenAndWritesTheContent() throws Exception {
    env = Map.of();
    Path file = dir.resolve("given.txt");

    assertThat(run("link", "redeem", "cairn_lnk_l1_s3cret", "-O", file.toString())).as(err.toString()).isZero();

    assertThat(server.request(RedeemAccessLinkRequest.class).getToken()).isEqualTo("cairn_lnk_l1_s3cret");
    assertThat(server.headers.getFirst().get(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER)))
        .isNull();
    assertThat(Files.readAllBytes(file)).isEqualTo(server.content);
    assertThat(err.toString()).contains("uses left: 0");
  }

  @Test
  void consentCreateNeedsExactlyOneScopeAndAgreement() {
    assertThat(run("consent", "create", "u2", "--purpose", "mortgage", "--until", "30d", "--agree")).isEqualTo(CairnCli.USAGE);
    assertThat(run("consent", "create", "u2", "--purpose", "mortgage", "--item", "i1", "--collection", "c1",
        "--until", "30d", "--agree")).isEqualTo(CairnCli.USAGE);
    assertThat(run("consent", "create", "u2", "--purpose", "mortgage", "--item", "i1", "--until", "30d"))
        .isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("I agree to give users/u2 read access to items/i1", "--agree is required");
    assertThat(server.requests).isEmpty();
  }

  @Test
  void consentCreateSendsScopeWindowAndTheAgreedStatement() {
    assertThat(run("consent", "create", "u2", "--purpose", "mortgage", "--label", "kind=payslip", "--label", "year=2025",
        "--role", "read", "--until", "30d", "--agree")).as(err.toString()).isZero();

    Consent consent = server.request(CreateConsentRequest.class).getConsent();
    assertThat(consent.getRecipient()).isEqualTo("users/u2");
    assertThat(consent.getLabels().getLabelsMap()).containsEntry("kind", "payslip").containsEntry("year", "2025");
    assertThat(consent.getRole()).isEqualTo(Role.ROLE_READ);
    assertThat(consent.getEndTime().getSeconds()).isEqualTo(NOW.plusSeconds(30L * 86400).getEpochSecond());
    assertThat(consent.getAgreement().getAgreed()).isTrue();
    assertThat(consent.getAgreement().getText()).contains("mortgage", "users/u2");
    assertThat(out.toString()).contains("consents/c1", "grants/g9");
  }

  @Test
  void auditLsTranslatesFilters() {
    assertThat(run("audit", "ls", "--item", "i1", "--actor", "u2", "--action", "item_read,ACCESS-DENIED", "--since", "1h"))
        .as(err.toString()).isZero();

    ListAuditEventsRequest request = server.request(ListAuditEventsRequest.class);
    assertThat(request.getParent()).isEqualTo("users/me");
    assertThat(request.getTarget()).isEqualTo("items/i1");
    assertThat(request.getActor()).isEqualTo("users/u2");
    assertThat(request.getActionsList())
        .containsExactly(AuditEvent.Action.ACTION_ITEM_READ, AuditEvent.Action.ACTION_ACCESS_DENIED);
    assertThat(request.getStartTime().getSeconds()).isEqualTo(NOW.minusSeconds(3600).getEpochSecond());
    assertThat(out.toString()).contains("SEQ", "users/bob", "item_read", "grants/g1", "success");
  }

  @Test
  void auditLsRejectsAnUnknownAction() {
    assertThat(run("audit", "ls", "--action", "item_peek")).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("item_peek", "access_denied");
  }

  @Test
  void auditVerifyPrintsTheHeadAndExitsThreeWhenBroken() {
    assertThat(run("audit", "verify", "--expect", "2:" + "ab".repeat(32))).isZero();
    VerifyAuditLogRequest request = server.request(VerifyAuditLogRequest.class);
    assertThat(request.getExpectedSeq()).isEqualTo(2);
    assertThat(request.getExpectedHash().size()).isEqualTo(32);
    assertThat(out.toString()).contains("verified", "yes", "3:" + "00".repeat(32));

    server.verification = VerifyAuditLogResponse.newBuilder().setVerified(false).setFirstBrokenSeq(2)
        .setReason("hash mismatch at seq 2").build();
    assertThat(run("audit", "verify")).isEqualTo(CairnCli.VERIFY_FAILED);
    assertThat(out.toString()).contains("NO", "hash mismatch at seq 2");

    assertThat(run("audit", "verify", "--expect", "nonsense")).isEqualTo(CairnCli.USAGE);
  }

  @Test
  void progressLineShowsDoneTotalPercentAndRate() {
    long[] now = {0};
    var progress = new Progress(new PrintWriter(new StringWriter()), "download", 10L * 1024 * 1024, () -> now[0]);
    progress.advance(5L * 1024 * 1024);
    now[0] = 2_000_000_000L;

    assertThat(progress.line(now[0])).contains("download", "5.0 MiB / 10.0 MiB", " 50%", "2.5 MiB/s");
    assertThat(Progress.of(true, false, new PrintWriter(new StringWriter()), "x", 1024)).isSameAs(Progress.NONE);
    assertThat(Progress.of(false, false, new PrintWriter(new StringWriter()), "x", 1L << 30)).isSameAs(Progress.NONE);
  }
}
