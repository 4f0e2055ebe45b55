package dev.cairn.client.cli;

import com.google.protobuf.ByteString;
import dev.cairn.vault.v1.AuditEvent;
import dev.cairn.vault.v1.ListAuditEventsRequest;
import dev.cairn.vault.v1.ListAuditEventsResponse;
import dev.cairn.vault.v1.VerifyAuditLogRequest;
import dev.cairn.vault.v1.VerifyAuditLogResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cairn audit …}: who did what with your data, and whether the record is intact. */
@Command(name = "audit", description = "Read and verify your audit log: who read your data, when, and under what.")
final class AuditCommand extends CommandGroup {

  @Command(name = "ls", aliases = "list", description = "List audit events, newest first.")
  int list(
      @Option(names = "--item", paramLabel = "ITEM",
          description = "Only events on this item (and its versions): an id or items/{id}.") @Nullable String item,
      @Option(names = "--resource", paramLabel = "RESOURCE",
          description = "Only events on this resource, e.g. grants/{id} or collections/{id}.") @Nullable String target,
      @Option(names = "--actor", paramLabel = "ACTOR",
          description = "Only events by a user id, users/{id}, accessLinks/{id}, anonymous or system.") @Nullable String actor,
      @Option(names = "--action", paramLabel = "ACTION", split = ",",
          description = "Only these actions, e.g. item_read, access_denied; repeat or comma-separate.")
          @Nullable List<String> actions,
      @Option(names = "--via", paramLabel = "RESOURCE",
          description = "Only events under this grants/{id}, accessLinks/{id} or consents/{id}.") @Nullable String via,
      @Option(names = "--since", paramLabel = "DURATION", converter = DurationConverter.class,
          description = "Only events in the last e.g. 1h, 7d.") @Nullable Duration since,
      @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
          description = "At most this many events (default ${DEFAULT-VALUE}).") int limit) {
    if (item != null && target != null) {
      throw usage("--item and --resource: give one of them");
    }
    if (limit < 1) {
      throw usage("--limit: " + limit + " (expected: 1 or more)");
    }
    ListAuditEventsRequest.Builder request = ListAuditEventsRequest.newBuilder().setParent("users/me");
    if (item != null) {
      request.setTarget(named("items", item));
    } else if (target != null) {
      request.setTarget(target);
    }
    if (actor != null) {
      request.setActor(actor(actor));
    }
    if (actions != null) {
      for (String action : actions) {
        request.addActions(action(action));
      }
    }
    if (via != null) {
      request.setVia(via);
    }
    if (since != null) {
      request.setStartTime(fromNow(since.negated()));
    }
    return cli.call((client, output) -> {
      ListAuditEventsResponse.Builder events = ListAuditEventsResponse.newBuilder();
      String pageToken = "";
      do {
        ListAuditEventsResponse page = client.audit().listAuditEvents(request
            .setPageSize(Math.min(1000, limit - events.getAuditEventsCount()))
            .setPageToken(pageToken)
            .build());
        events.addAllAuditEvents(page.getAuditEventsList());
        pageToken = page.getNextPageToken();
      } while (!pageToken.isEmpty() && events.getAuditEventsCount() < limit);
      output.print(events, text -> {
        List<List<String>> rows = new ArrayList<>();
        for (AuditEvent e : events.getAuditEventsList()) {
          rows.add(List.of(
              Long.toString(e.getSeq()),
              Output.time(e.hasEventTime(), e.getEventTime()),
              e.getActor(),
              e.getAction().name().replaceFirst("^ACTION_", "").toLowerCase(Locale.ROOT),
              Output.orDash(e.getTarget()),
              via(e),
              e.getOutcome().name().replaceFirst("^OUTCOME_", "").toLowerCase(Locale.ROOT),
              details(e.getDetailsMap())));
        }
        output.table(List.of("SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "VIA", "OUTCOME", "DETAILS"), rows);
      });
    });
  }

  @Command(name = "verify", description = "Re-walk your audit log's hash chain and report the first break (exit 3).")
  int verify(
      @Option(names = "--from", paramLabel = "SEQ", description = "First event to check (default: the first).")
          long from,
      @Option(names = "--to", paramLabel = "SEQ", description = "Last event to check (default: the last).") long to,
      @Option(names = "--expect", paramLabel = "SEQ:HASH",
          description = "A head you recorded earlier (seq:hex hash, as printed by a previous verify): the log"
              + " must still hold it, which catches a log rewritten or cut short.") @Nullable String expect) {
    VerifyAuditLogRequest.Builder request =
        VerifyAuditLogRequest.newBuilder().setParent("users/me").setStartSeq(from).setEndSeq(to);
    if (expect != null) {
      int colon = expect.indexOf(':');
      try {
        request.setExpectedSeq(Long.parseLong(expect.substring(0, Math.max(0, colon))))
            .setExpectedHash(ByteString.copyFrom(HexFormat.of().parseHex(expect.substring(colon + 1))));
      } catch (IllegalArgumentException e) {
        throw usage("--expect: '" + expect + "' (expected: SEQ:HASH, e.g. 42:9f86d0…, 64 hex digits)");
      }
    }
    AtomicBoolean broken = new AtomicBoolean();
    int exit = cli.call((client, output) -> {
      VerifyAuditLogResponse response = client.audit().verifyAuditLog(request.build());
      broken.set(!response.getVerified());
      output.print(response, text -> {
        String head = response.getHeadSeq() + ":" + HexFormat.of().formatHex(response.getHeadHash().toByteArray());
        if (response.getVerified()) {
          output.fields(
              "verified", "yes",
              "events checked", Long.toString(response.getEventsChecked()),
              "head", head);
          cli.err().println("Keep the head (cairn audit verify --expect " + head + ") to detect a later rewrite.");
        } else {
          output.fields(
              "verified", "NO",
              "events checked", Long.toString(response.getEventsChecked()),
              "first broken seq", Long.toString(response.getFirstBrokenSeq()),
              "reason", response.getReason());
        }
      });
    });
    return exit == CairnCli.OK && broken.get() ? CairnCli.VERIFY_FAILED : exit;
  }

  /** {@code item_read}, {@code ITEM_READ}, {@code item-read} or {@code ACTION_ITEM_READ}. */
  private AuditEvent.Action action(String value) {
    String name = value.strip().toUpperCase(Locale.ROOT).replace('-', '_');
    if (!name.startsWith("ACTION_")) {
      name = "ACTION_" + name;
    }
    try {
      AuditEvent.Action action = AuditEvent.Action.valueOf(name);
      if (action != AuditEvent.Action.ACTION_UNSPECIFIED && action != AuditEvent.Action.UNRECOGNIZED) {
        return action;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    String known = java.util.Arrays.stream(AuditEvent.Action.values())
        .filter(a -> a != AuditEvent.Action.ACTION_UNSPECIFIED && a != AuditEvent.Action.UNRECOGNIZED)
        .map(a -> a.name().substring("ACTION_".length()).toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
    throw usage("--action: '" + value + "' (expected one of: " + known + ")");
  }

  /** A bare user id becomes {@code users/{id}}; other actor names pass as given. */
  private static String actor(String value) {
    return value.contains("/") || value.equals("anonymous") || value.equals("system") ? value : "users/" + value;
  }

  private static String via(AuditEvent e) {
    if (!e.getConsent().isEmpty()) {
      return e.getConsent() + (e.getGrant().isEmpty() ? "" : " " + e.getGrant());
    }
    if (!e.getGrant().isEmpty()) {
      return e.getGrant();
    }
    return Output.orDash(e.getAccessLink());
  }

  private static String details(Map<String, String> details) {
    if (details.isEmpty()) {
      return "-";
    }
    return details.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(d -> d.getKey() + "=" + (d.getKey().endsWith("_hmac") ? d.getValue().substring(0, Math.min(12, d.getValue().length())) + "…" : d.getValue()))
        .collect(Collectors.joining(" "));
  }
}
