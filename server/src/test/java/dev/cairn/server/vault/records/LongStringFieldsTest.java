package dev.cairn.server.vault.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.QueryRecordsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Queryable strings up to their indexed limit are stored, filtered by exact equality, sorted and
 * paged through with page tokens the next request accepts; a longer one is a clear
 * INVALID_ARGUMENT on its field (it was INTERNAL: PostgreSQL's B-tree entry limit), and
 * non-queryable fields may be as long as the record limit allows.
 */
class LongStringFieldsTest {
  static final String SCHEMA = """
      {"type":"object","properties":{"note":{"type":"string"},"body":{"type":"string"}},"x-cairn-queryable":["note"]}""";

  static final RecordFixture fixture = new RecordFixture();

  private static String randomText(SecureRandom random, int length) {
    String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    var sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  @Test
  void queryableStringsAtTheLimitAreFilteredSortedAndPaged() {
    TestUser owner = fixture.server.newUser("long-notes");
    UUID collection = fixture.collection(owner, SCHEMA);
    var random = new SecureRandom();
    String shared = randomText(random, 1000); // a long common prefix: only the tail tells them apart
    List<String> notes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String note = shared + i + randomText(random, RecordRules.MAX_QUERYABLE_STRING_BYTES - 1001);
      notes.add(note);
      fixture.record(owner, collection, "{\"note\":\"" + note + "\",\"body\":\"" + randomText(random, 50_000) + "\"}");
    }

    List<String> paged = new ArrayList<>();
    String token = "";
    do {
      var page = fixture.vault(owner).queryRecords(QueryRecordsRequest.newBuilder()
          .setParent("collections/" + collection).setOrderBy("data.note").setPageSize(1).setPageToken(token).build());
      page.getRecordsList().forEach(r -> paged.add(r.getData().getFieldsOrThrow("note").getStringValue()));
      token = page.getNextPageToken();
    } while (!token.isEmpty() && paged.size() < 10);

    assertThat(paged).containsExactlyElementsOf(notes.stream().sorted().toList());
    var exact = fixture.vault(owner).queryRecords(QueryRecordsRequest.newBuilder()
        .setParent("collections/" + collection).setFilter("data.note = \"" + notes.get(2) + "\"").build());
    assertThat(exact.getRecordsList()).hasSize(1);
  }

  @Test
  void aQueryableStringPastTheLimitIsRefusedOnItsField() {
    TestUser owner = fixture.server.newUser("too-long");
    UUID collection = fixture.collection(owner, SCHEMA);
    String note = randomText(new SecureRandom(), RecordRules.MAX_QUERYABLE_STRING_BYTES + 1);

    var e = catchThrowableOfType(StatusRuntimeException.class,
        () -> fixture.record(owner, collection, "{\"note\":\"" + note + "\"}"));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolations(0).getField()).isEqualTo("item.data.note");
  }
}
