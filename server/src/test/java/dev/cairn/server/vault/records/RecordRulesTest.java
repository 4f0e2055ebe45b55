package dev.cairn.server.vault.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.BadRequest;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.type.v1.ErrorReason;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** RecordRules: schema errors as field violations, canonical JSON, indexed values, visibility. */
class RecordRulesTest {
  static final RecordFixture fixture = new RecordFixture();
  static final String SCHEMA = """
      {"type":"object","required":["name"],"additionalProperties":false,
       "properties":{"name":{"type":"string","minLength":1},"age":{"type":"integer"},
         "when":{"type":"string","format":"date-time"},"tags":{"type":"array","items":{"type":"string"}},
         "ok":{"type":"boolean"},"address":{"type":"object","properties":{"city":{"type":"string"}}}},
       "x-cairn-queryable":["age","when","tags","ok"]}""";

  private static CollectionSchema schema() {
    return CollectionSchema.compile(SCHEMA, "collection.json_schema");
  }

  @Test
  void eachSchemaErrorIsAFieldViolationAtItsJsonPath() {
    var data = RecordFixture.struct("{\"age\":\"old\",\"tags\":[\"a\",3],\"address\":{\"city\":5},\"extra\":1}");
    assertThatThrownBy(() -> RecordRules.check(schema(), data))
        .isInstanceOfSatisfying(CairnException.class, e -> {
          assertThat(e.reason()).isEqualTo(ErrorReason.ERROR_REASON_INVALID_ARGUMENT);
          assertThat(e.violations()).extracting(BadRequest.FieldViolation::getField)
              .contains("item.data.name", "item.data.age", "item.data.tags[1]", "item.data.address.city", "item.data");
          assertThat(e.violations()).filteredOn(v -> v.getField().equals("item.data.age"))
              .singleElement().satisfies(v -> assertThat(v.getDescription()).contains("integer").contains("type"));
        });
  }

  @Test
  void dateTimeFormatIsAsserted() {
    var data = RecordFixture.struct("{\"name\":\"x\",\"when\":\"last tuesday\"}");
    assertThatThrownBy(() -> RecordRules.check(schema(), data))
        .isInstanceOfSatisfying(CairnException.class, e ->
            assertThat(e.violations()).extracting(BadRequest.FieldViolation::getField).containsExactly("item.data.when"));
  }

  @Test
  void validDataGivesCanonicalJsonAndQueryableValuesOnly() {
    var data = RecordFixture.struct(
        "{\"tags\":[\"b\",\"a\"],\"name\":\"N\",\"age\":18,\"ok\":true,\"when\":\"2024-05-01T10:00:00+02:00\"}");
    RecordRules.Checked checked = RecordRules.check(schema(), data);
    assertThat(new String(checked.json(), StandardCharsets.UTF_8))
        .isEqualTo("{\"age\":18,\"name\":\"N\",\"ok\":true,\"tags\":[\"b\",\"a\"],\"when\":\"2024-05-01T10:00:00+02:00\"}");
    assertThat(checked.values()).containsExactlyInAnyOrder(
        new RecordRules.FieldValue("age", new BigDecimal("18"), null, null, null),
        new RecordRules.FieldValue("when", null, "2024-05-01T10:00:00+02:00", null, OffsetDateTime.parse("2024-05-01T10:00:00+02:00")),
        new RecordRules.FieldValue("tags", null, "b", null, null),
        new RecordRules.FieldValue("tags", null, "a", null, null),
        new RecordRules.FieldValue("ok", null, null, true, null));
  }

  @Test
  void checkNeedsACollectionTheCallerMayWrite() {
    TestUser owner = fixture.server.newUser("rr-owner");
    TestUser stranger = fixture.server.newUser("rr-stranger");
    TestUser reader = fixture.server.newUser("rr-reader");
    TestUser writer = fixture.server.newUser("rr-writer");
    UUID collection = fixture.collection(owner, SCHEMA);
    fixture.grant(owner, reader, collection, "READ", null);
    fixture.grant(owner, writer, collection, "WRITE", null);
    UUID ownerId = UUID.fromString(owner.id());
    var data = RecordFixture.struct("{\"name\":\"x\"}");
    for (TestUser denied : new TestUser[] {stranger, reader}) {
      Principal p = Principal.system(UUID.fromString(denied.id()));
      assertThatThrownBy(() -> fixture.vault.database().transaction(p, sql -> fixture.rules.check(sql, p, ownerId, collection, data)))
          .isInstanceOfSatisfying(CairnException.class, e -> assertThat(e.kind()).isEqualTo(CairnException.Kind.NOT_FOUND));
    }
    Principal w = Principal.system(UUID.fromString(writer.id()));
    assertThat(fixture.vault.database().transaction(w, sql -> fixture.rules.check(sql, w, ownerId, collection, data)).json())
        .isNotEmpty();
  }
}
