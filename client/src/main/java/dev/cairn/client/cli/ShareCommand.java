package dev.cairn.client.cli;

import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateGrantResponse;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.ListGrantsRequest;
import dev.cairn.vault.v1.ListGrantsResponse;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.RevokeGrantResponse;
import dev.cairn.vault.v1.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn share …}: grants on items and collections. */
@Command(name = "share", description = "Grant other users access to your items and collections.")
final class ShareCommand extends CommandGroup {

  /** A role as typed on the command line. */
  enum RoleArg {
    read(Role.ROLE_READ),
    write(Role.ROLE_WRITE),
    share(Role.ROLE_SHARE);

    final Role proto;

    RoleArg(Role proto) {
      this.proto = proto;
    }
  }

  @Command(name = "grant", description = "Give a user a role on an item or collection.")
  int grant(
      @Parameters(index = "0", paramLabel = "TARGET",
          description = "An item id, items/{id} or collections/{id}.") String target,
      @Parameters(index = "1", paramLabel = "USER", description = "The grantee: a user id or users/{id}.") String user,
      @Option(names = "--role", required = true, paramLabel = "ROLE",
          description = "${COMPLETION-CANDIDATES} (share: may pass the item on).") RoleArg role,
      @Option(names = "--purpose", paramLabel = "TEXT", defaultValue = "unspecified",
          description = "Why: kept with the grant and in your audit log (default: ${DEFAULT-VALUE}).") String purpose,
      @Option(names = "--expires", paramLabel = "DURATION", converter = DurationConverter.class,
          description = "Ends after e.g. 30d, 12h (at most 366d; default: until revoked).") @Nullable Duration expires) {
    Grant.Builder grant = Grant.newBuilder()
        .setTarget(target(target))
        .setGrantee(userName(user))
        .setRole(role.proto)
        .setPurpose(purpose);
    if (expires != null) {
      grant.setExpireTime(fromNow(expires));
    }
    return cli.call((client, output) -> {
      CreateGrantResponse response = client.sharing().createGrant(CreateGrantRequest.newBuilder().setGrant(grant).build());
      output.print(response, text -> printGrant(output, response.getGrant()));
    });
  }

  @Command(name = "revoke", description = "Revoke a grant; the grantee's next call is refused.")
  int revoke(@Parameters(paramLabel = "GRANT", description = "The grant's id or grants/{id}.") String grant) {
    return cli.call((client, output) -> {
      RevokeGrantResponse response =
          client.sharing().revokeGrant(RevokeGrantRequest.newBuilder().setName(named("grants", grant)).build());
      output.print(response, text -> text.println("revoked " + response.getGrant().getName()));
    });
  }

  @Command(name = "ls", aliases = "list", description = "List grants you made (or, with --to-me, that you hold).")
  int list(
      @Option(names = "--to-me", description = "Grants that give you access to others' data.") boolean toMe,
      @Option(names = {"-a", "--all"}, description = "Include expired and revoked grants.") boolean all) {
    return cli.call((client, output) -> {
      ListGrantsResponse.Builder everything = ListGrantsResponse.newBuilder();
      allPages(pageToken -> {
        return client.sharing().listGrants(ListGrantsRequest.newBuilder()
            .setDirection(toMe ? ListGrantsRequest.Direction.DIRECTION_GRANTED_TO_ME
                : ListGrantsRequest.Direction.DIRECTION_GRANTED_BY_ME)
            .setShowInactive(all)
            .setPageSize(1000)
            .setPageToken(pageToken)
            .build());
      }, page -> everything.addAllGrants(page.getGrantsList()), ListGrantsResponse::getNextPageToken);
      output.print(everything, text -> {
        List<List<String>> rows = new ArrayList<>();
        for (Grant g : everything.getGrantsList()) {
          rows.add(List.of(
              lastSegment(g.getName()),
              g.getTarget(),
              role(g.getRole()),
              toMe ? Output.orDash(g.getOwner()) : Output.orDash(g.getGrantee()),
              g.getPurpose(),
              Output.time(g.hasExpireTime(), g.getExpireTime()),
              state(g.getState())));
        }
        output.table(List.of("ID", "TARGET", "ROLE", toMe ? "OWNER" : "GRANTEE", "PURPOSE", "EXPIRES", "STATE"), rows);
      });
    });
  }

  static void printGrant(Output output, Grant grant) {
    output.fields(
        "name", grant.getName(),
        "target", grant.getTarget(),
        "grantee", grant.getGrantee(),
        "role", role(grant.getRole()),
        "purpose", grant.getPurpose(),
        "expires", Output.time(grant.hasExpireTime(), grant.getExpireTime()),
        "consent", Output.orDash(grant.getConsent()));
  }

  /** {@code abc} → {@code items/abc}; {@code collections/…} and {@code items/…} as given. */
  static String target(String value) {
    return value.startsWith("collections/") ? value : named("items", value);
  }

  static String role(Role role) {
    return role == Role.ROLE_UNSPECIFIED ? "-" : role.name().substring("ROLE_".length()).toLowerCase(Locale.ROOT);
  }

  private static String state(Grant.State state) {
    return state == Grant.State.STATE_UNSPECIFIED ? "-" : state.name().substring("STATE_".length()).toLowerCase(Locale.ROOT);
  }
}
