package dev.cairn.client.cli;

import dev.cairn.vault.v1.Consent;
import dev.cairn.vault.v1.CreateConsentRequest;
import dev.cairn.vault.v1.CreateConsentResponse;
import dev.cairn.vault.v1.GetConsentReceiptRequest;
import dev.cairn.vault.v1.GetConsentReceiptResponse;
import dev.cairn.vault.v1.ListConsentsRequest;
import dev.cairn.vault.v1.ListConsentsResponse;
import dev.cairn.vault.v1.RevokeConsentRequest;
import dev.cairn.vault.v1.RevokeConsentResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn consent …}: recorded, purpose-bound agreements to share, with receipts. */
@Command(name = "consent", description = "Give, list and revoke consents to share your data, and get their receipts.")
final class ConsentCommand extends CommandGroup {

  /** Exactly one scope: items, a collection, or labels. */
  static final class Scope {
    @Option(names = "--item", paramLabel = "ITEM", required = true,
        description = "An item id or items/{id}; repeat for more.") @Nullable List<String> items;

    @Option(names = "--collection", paramLabel = "COLLECTION", required = true,
        description = "A collection id or collections/{id}.") @Nullable String collection;

    @Option(names = "--label", paramLabel = "KEY=VALUE", required = true,
        description = "Items carrying this label; repeat: all of them.") @Nullable List<String> labels;
  }

  @Command(name = "create", description = "Consent to share data with a user, for a purpose, until a time.")
  int create(
      @Parameters(paramLabel = "USER", description = "The recipient: a user id or users/{id}.") String user,
      @Option(names = "--purpose", required = true, paramLabel = "TEXT", description = "What the data is for.")
          String purpose,
      @ArgGroup(exclusive = true, multiplicity = "1") Scope scope,
      @Option(names = "--role", paramLabel = "ROLE", defaultValue = "read",
          description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).") ShareCommand.RoleArg role,
      @Option(names = "--until", required = true, paramLabel = "DURATION", converter = DurationConverter.class,
          description = "How long the consent lasts, e.g. 30d (at most 366d).") Duration until,
      @Option(names = "--agree", description = "You agree to the statement printed (required).") boolean agree) {
    Consent.Builder consent = Consent.newBuilder()
        .setRecipient(userName(user))
        .setPurpose(purpose)
        .setRole(role.proto)
        .setEndTime(fromNow(until));
    String what;
    if (scope.items != null) {
      List<String> names = scope.items.stream().map(i -> named("items", i)).distinct().toList();
      consent.setItems(Consent.ItemScope.newBuilder().addAllItems(names));
      what = String.join(", ", names);
    } else if (scope.collection != null) {
      consent.setCollection(named("collections", scope.collection));
      what = consent.getCollection();
    } else {
      Map<String, String> labels = labels("--label", scope.labels);
      consent.setLabels(Consent.LabelScope.newBuilder().putAllLabels(labels));
      what = "items labelled " + VaultCommand.labelText(labels);
    }
    String statement = "I agree to give " + consent.getRecipient() + " " + role.name() + " access to " + what
        + " for the purpose \"" + purpose + "\" until " + Output.time(true, consent.getEndTime())
        + ", and understand I can revoke this consent at any time.";
    if (!agree) {
      cli.err().println(statement);
      throw usage("--agree is required: it records that you agree to the statement above");
    }
    consent.setAgreement(Consent.Agreement.newBuilder()
        .setAgreed(true)
        .setText(statement)
        .setTextVersion("cairn-cli-1")
        .setCollectionMethod("cairn CLI --agree"));
    return cli.call((client, output) -> {
      CreateConsentResponse response =
          client.sharing().createConsent(CreateConsentRequest.newBuilder().setConsent(consent).build());
      output.print(response, text -> printConsent(output, response.getConsent()));
    });
  }

  @Command(name = "ls", aliases = "list", description = "List consents you gave (or, with --to-me, received).")
  int list(
      @Option(names = "--to-me", description = "Consents that share others' data with you.") boolean toMe,
      @Option(names = {"-a", "--all"}, description = "Include expired and revoked consents.") boolean all) {
    return cli.call((client, output) -> {
      ListConsentsResponse.Builder everything = ListConsentsResponse.newBuilder();
      allPages(pageToken -> {
        return client.sharing().listConsents(ListConsentsRequest.newBuilder()
            .setDirection(toMe ? ListConsentsRequest.Direction.DIRECTION_GIVEN_TO_ME
                : ListConsentsRequest.Direction.DIRECTION_GIVEN_BY_ME)
            .setShowInactive(all)
            .setPageSize(1000)
            .setPageToken(pageToken)
            .build());
      }, page -> everything.addAllConsents(page.getConsentsList()), ListConsentsResponse::getNextPageToken);
      output.print(everything, text -> {
        List<List<String>> rows = new ArrayList<>();
        for (Consent c : everything.getConsentsList()) {
          rows.add(List.of(
              lastSegment(c.getName()),
              toMe ? Output.orDash(c.getOwner()) : c.getRecipient(),
              c.getPurpose(),
              scope(c),
              ShareCommand.role(c.getRole()),
              Output.time(c.hasEndTime(), c.getEndTime()),
              c.getState() == Consent.State.STATE_UNSPECIFIED ? "-"
                  : c.getState().name().substring("STATE_".length()).toLowerCase(Locale.ROOT)));
        }
        output.table(List.of("ID", toMe ? "OWNER" : "RECIPIENT", "PURPOSE", "SCOPE", "ROLE", "UNTIL", "STATE"), rows);
      });
    });
  }

  @Command(name = "revoke", description = "Revoke a consent and every grant it created.")
  int revoke(@Parameters(paramLabel = "CONSENT", description = "The consent's id or consents/{id}.") String consent) {
    return cli.call((client, output) -> {
      RevokeConsentResponse response = client.sharing()
          .revokeConsent(RevokeConsentRequest.newBuilder().setName(named("consents", consent)).build());
      output.print(response, text -> text.println("revoked " + response.getConsent().getName()
          + " and its " + response.getConsent().getGrantsCount() + " grant(s)"));
    });
  }

  @Command(name = "receipt", description = "Print a consent's signed receipt (Kantara consent receipt JSON).")
  int receipt(@Parameters(paramLabel = "CONSENT", description = "The consent's id or consents/{id}.") String consent) {
    return cli.call((client, output) -> {
      GetConsentReceiptResponse response = client.sharing()
          .getConsentReceipt(GetConsentReceiptRequest.newBuilder().setName(named("consents", consent)).build());
      output.print(response, text -> {
        text.println(response.getReceiptJson().toString(StandardCharsets.UTF_8));
        cli.err().println("signature (Ed25519 over the JSON above, key " + response.getKeyId() + "): "
            + Base64.getEncoder().encodeToString(response.getSignature().toByteArray()));
      });
    });
  }

  static void printConsent(Output output, Consent consent) {
    output.fields(
        "name", consent.getName(),
        "recipient", consent.getRecipient(),
        "purpose", consent.getPurpose(),
        "scope", scope(consent),
        "role", ShareCommand.role(consent.getRole()),
        "until", Output.time(consent.hasEndTime(), consent.getEndTime()),
        "grants", consent.getGrantsCount() == 0 ? "-" : String.join(", ", consent.getGrantsList()));
  }

  private static String scope(Consent c) {
    return switch (c.getScopeCase()) {
      case ITEMS -> String.join(",", c.getItems().getItemsList());
      case COLLECTION -> c.getCollection();
      case LABELS -> "labels " + VaultCommand.labelText(c.getLabels().getLabelsMap());
      default -> "-";
    };
  }
}
