package dev.cairn.client.cli;

import com.google.protobuf.Duration;
import dev.cairn.identity.v1.ApiToken;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateApiTokenResponse;
import dev.cairn.identity.v1.ListApiTokensRequest;
import dev.cairn.identity.v1.ListApiTokensResponse;
import dev.cairn.identity.v1.RevokeApiTokenRequest;
import dev.cairn.identity.v1.RevokeApiTokenResponse;
import dev.cairn.identity.v1.TokenScope;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn token …}: the caller's API tokens. */
@Command(name = "token", description = "Create, list and revoke API tokens.")
final class TokenCommand extends CommandGroup {

  /** What a token may do, as typed on the command line. */
  enum Scope {
    read(TokenScope.TOKEN_SCOPE_READ),
    write(TokenScope.TOKEN_SCOPE_WRITE);

    final TokenScope proto;

    Scope(TokenScope proto) {
      this.proto = proto;
    }
  }

  @Command(name = "create", description = "Create a token and print its secret (shown this once).")
  int create(
      @Option(names = "--name", paramLabel = "NAME", description = "What the token is for, e.g. \"laptop CLI\".")
          @Nullable String name,
      @Option(names = "--scope", split = ",", paramLabel = "SCOPE",
          description = "${COMPLETION-CANDIDATES}; repeat or comma-separate for both (default read).")
          @Nullable List<Scope> scopes,
      @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class,
          description = "Lifetime, e.g. 30d, 12h, 90m (at most 366d; default: never expires).")
          java.time.@Nullable Duration ttl,
      @Option(names = "--user", paramLabel = "USER", defaultValue = "me",
          description = "Whose token: me (default), or a user id for admins.") String user) {
    CreateApiTokenRequest.Builder request = CreateApiTokenRequest.newBuilder().setParent(userName(user));
    if (name != null) {
      request.setDisplayName(name);
    }
    List<Scope> wanted = scopes == null || scopes.isEmpty() ? List.of(Scope.read) : scopes;
    wanted.stream().distinct().forEach(scope -> request.addScopes(scope.proto));
    if (ttl != null) {
      request.setTtl(Duration.newBuilder().setSeconds(ttl.getSeconds()).setNanos(ttl.getNano()));
    }
    return cli.call((client, output) -> {
      CreateApiTokenResponse response = client.identity().createApiToken(request.build());
      output.print(response, text -> {
        ApiToken token = response.getApiToken();
        output.fields(
            "token", response.getToken(),
            "name", token.getName(),
            "scopes", scopes(token),
            "expires", Output.time(token.hasExpireTime(), token.getExpireTime()));
        cli.err().println("Store the token now: it is not shown again.");
      });
    });
  }

  @Command(name = "list", aliases = "ls", description = "List tokens, newest first (never their secrets).")
  int list(
      @Option(names = {"-a", "--all"}, description = "Include revoked and expired tokens.") boolean all,
      @Option(names = "--user", paramLabel = "USER", defaultValue = "me",
          description = "Whose tokens: me (default), or a user id for admins.") String user) {
    return cli.call((client, output) -> {
      ListApiTokensResponse.Builder everything = ListApiTokensResponse.newBuilder();
      allPages(pageToken -> {
        return client.identity().listApiTokens(ListApiTokensRequest.newBuilder()
            .setParent(userName(user))
            .setShowInactive(all)
            .setPageSize(1000)
            .setPageToken(pageToken)
            .build());
      }, page -> everything.addAllApiTokens(page.getApiTokensList()), ListApiTokensResponse::getNextPageToken);
      output.print(everything, text -> {
        List<List<String>> rows = new ArrayList<>();
        Instant now = cli.clock().instant();
        for (ApiToken token : everything.getApiTokensList()) {
          rows.add(List.of(
              id(token.getName()),
              Output.orDash(token.getDisplayName()),
              scopes(token),
              Output.time(token.hasCreateTime(), token.getCreateTime()),
              Output.time(token.hasExpireTime(), token.getExpireTime()),
              Output.time(token.hasLastUseTime(), token.getLastUseTime()),
              status(token, now)));
        }
        output.table(List.of("ID", "NAME", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "STATUS"), rows);
      });
    });
  }

  @Command(name = "revoke", description = "Revoke a token; the next call made with it is refused.")
  int revoke(@Parameters(paramLabel = "TOKEN",
      description = "The token's id (from `cairn token list`) or its name users/{user}/apiTokens/{id}.") String token) {
    String name = token.startsWith("users/") ? token : "users/me/apiTokens/" + token;
    return cli.call((client, output) -> {
      RevokeApiTokenResponse response =
          client.identity().revokeApiToken(RevokeApiTokenRequest.newBuilder().setName(name).build());
      output.print(response, text -> text.println("revoked " + response.getApiToken().getName()));
    });
  }

  private static String id(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  private static String scopes(ApiToken token) {
    List<String> names = new ArrayList<>();
    for (TokenScope scope : token.getScopesList()) {
      names.add(scope.name().replace("TOKEN_SCOPE_", "").toLowerCase(Locale.ROOT));
    }
    return names.isEmpty() ? "-" : String.join(",", names);
  }

  private static String status(ApiToken token, Instant now) {
    if (token.hasRevokeTime()) {
      return "revoked";
    }
    if (token.hasExpireTime() && !Output.instant(token.getExpireTime()).isAfter(now)) {
      return "expired";
    }
    return "active";
  }
}
