package dev.cairn.client.cli;

import dev.cairn.vault.v1.AccessLink;
import dev.cairn.vault.v1.Attestation;
import dev.cairn.vault.v1.CreateAccessLinkRequest;
import dev.cairn.vault.v1.CreateAccessLinkResponse;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.RedeemAccessLinkRequest;
import dev.cairn.vault.v1.RedeemAccessLinkResponse;
import dev.cairn.vault.v1.RevokeAccessLinkRequest;
import dev.cairn.vault.v1.RevokeAccessLinkResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn link …}: time-bound, use-limited bearer links to one item. */
@Command(name = "link", description = "Create, redeem and revoke access links to an item.")
final class LinkCommand extends CommandGroup {

  @Command(name = "create", description = "Create a link and print its token (shown this once).")
  int create(
      @Parameters(paramLabel = "ITEM", description = "The item's id or items/{id}.") String item,
      @Option(names = "--expires", required = true, paramLabel = "DURATION", converter = DurationConverter.class,
          description = "Stops working after e.g. 7d, 12h (at most 30d).") Duration expires,
      @Option(names = "--uses", paramLabel = "N", defaultValue = "1",
          description = "How many redemptions, 1..10000 (default ${DEFAULT-VALUE}).") int uses,
      @Option(names = "--purpose", paramLabel = "TEXT", description = "Why: recorded in your audit log.")
          @Nullable String purpose,
      @Option(names = "--attest", description = "Every redemption gets a signed attestation of what it received.")
          boolean attest) {
    if (uses < 1 || uses > 10_000) {
      throw usage("--uses: " + uses + " (expected: 1..10000)");
    }
    AccessLink.Builder link = AccessLink.newBuilder()
        .setItem(named("items", item))
        .setExpireTime(fromNow(expires))
        .setMaxUses(uses)
        .setRequireAttestation(attest);
    if (purpose != null) {
      link.setPurpose(purpose);
    }
    return cli.call((client, output) -> {
      CreateAccessLinkResponse response =
          client.sharing().createAccessLink(CreateAccessLinkRequest.newBuilder().setAccessLink(link).build());
      output.print(response, text -> {
        AccessLink created = response.getAccessLink();
        output.fields(
            "token", response.getToken(),
            "name", created.getName(),
            "item", created.getItem(),
            "uses", Integer.toString(created.getMaxUses()),
            "expires", Output.time(created.hasExpireTime(), created.getExpireTime()));
        cli.err().println("Hand the token over privately: it is not shown again. Redeem: cairn link redeem <token>");
      });
    });
  }

  @Command(name = "redeem", description = "Fetch the item a link gives (no account or CAIRN_TOKEN needed).")
  int redeem(
      @Parameters(paramLabel = "TOKEN", description = "cairn_lnk_…") String token,
      @Option(names = {"-O", "--out-file"}, paramLabel = "FILE",
          description = "Write the content here (default: stdout).")
          @Nullable Path file,
      @Option(names = "--attest", description = "Ask for a signed attestation of what was received.") boolean attest) {
    return cli.call((client, output) -> {
      RedeemAccessLinkResponse response = client.sharing()
          .redeemAccessLink(RedeemAccessLinkRequest.newBuilder().setToken(token).setAttest(attest).build());
      if (output.json()) {
        output.print(response, text -> {});
        return;
      }
      Item item = response.getItem();
      byte[] content = item.hasData() ? json(item) : item.getContent().toByteArray();
      write(content, file, cli.stdout());
      var err = cli.err();
      err.println("redeemed " + item.getName() + " version " + item.getVersion() + " ("
          + Progress.bytes(content.length) + "); uses left: " + response.getRemainingUses());
      if (response.hasAttestation()) {
        Attestation a = response.getAttestation();
        err.println("attestation: sha-256 " + HexFormat.of().formatHex(a.getContentSha256().toByteArray())
            + ", owner " + a.getOwner() + ", key " + a.getKeyId()
            + ", signature " + Base64.getEncoder().encodeToString(a.getSignature().toByteArray()));
      }
    });
  }

  @Command(name = "revoke", description = "Revoke a link; the next redemption is refused.")
  int revoke(@Parameters(paramLabel = "LINK", description = "The link's id or accessLinks/{id}.") String link) {
    return cli.call((client, output) -> {
      RevokeAccessLinkResponse response = client.sharing()
          .revokeAccessLink(RevokeAccessLinkRequest.newBuilder().setName(named("accessLinks", link)).build());
      output.print(response, text -> text.println("revoked " + response.getAccessLink().getName()));
    });
  }

  /** A record's data as JSON text. */
  private static byte[] json(Item item) {
    try {
      return (com.google.protobuf.util.JsonFormat.printer().print(item.getData()) + "\n")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print the record as JSON", e);
    }
  }

  private static void write(byte[] content, @Nullable Path file, OutputStream stdout) {
    try {
      if (file == null) {
        stdout.write(content);
        stdout.flush();
      } else {
        Files.write(file, content);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + (file == null ? "stdout" : file), e);
    }
  }
}
