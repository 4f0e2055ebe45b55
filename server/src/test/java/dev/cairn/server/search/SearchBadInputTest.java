package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cairn.search.v1.SearchRequest;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad queries end in INVALID_ARGUMENT naming the field, never INTERNAL. */
class SearchBadInputTest {
  private static final TestUser USER = SERVER.newUser("bad-input");

  static {
    text(USER, "Some indexed text about kestrels.");
    index();
  }

  private static void assertInvalid(SearchRequest request, String field) {
    var e = catchThrowableOfType(StatusRuntimeException.class, () -> search(USER).search(request));
    assertThat(e).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolationsList())
        .anySatisfy(v -> assertThat(v.getField()).isEqualTo(field));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "\"\" - OR ( :* & !", "the and of", "-kestrels", "!!! ::: &&& |||", "\u0000kestrels"})
  void queriesWithNothingToSearchForAreInvalidArgumentOnQuery(String query) {
    assertInvalid(request(query).build(), "query");
  }

  @Test
  void tenKilobyteQueryIsInvalidArgument() {
    assertInvalid(request("kestrel ".repeat(1300)).build(), "query");
  }

  @Test
  void hostileSyntaxAroundAWordStillSearches() {
    var response = search(USER).search(request("kestrels\" OR ( :* & !").build());
    assertThat(response.getHitsList()).hasSize(1);
  }

  @Test
  void unknownQueryLanguageIsInvalidArgumentOnLanguage() {
    assertInvalid(request("kestrels").setLanguage("klingon").build(), "language");
  }

  @Test
  void unknownItemLanguageIsInvalidArgumentWhereTheUserSetsIt() {
    var e = catchThrowableOfType(StatusRuntimeException.class, () ->
        document(USER, "text/plain", "x".getBytes(StandardCharsets.UTF_8), Map.of("search.language", "klingon")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolations(0).getField())
        .isEqualTo("item.labels[search.language]");
  }

  @Test
  void forgedOrForeignPageTokenIsInvalidArgumentOnPageToken() {
    assertInvalid(request("kestrels").setPageToken("AQIDBAUGBwgJCgsMDQ4PEBESExQ").build(), "page_token");
    TestUser other = SERVER.newUser("other");
    for (int i = 0; i < 3; i++) {
      text(other, "kestrels " + i);
    }
    index();
    String token = search(other).search(request("kestrels").setPageSize(1).build()).getNextPageToken();
    assertThat(token).isNotEmpty();
    assertInvalid(request("kestrels").setPageToken(token).build(), "page_token"); // another caller's
    var e = catchThrowableOfType(StatusRuntimeException.class, () ->
        search(other).search(request("falcons").setPageSize(1).setPageToken(token).build())); // another query
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }
}
