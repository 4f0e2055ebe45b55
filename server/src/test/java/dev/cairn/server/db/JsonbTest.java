package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jooq.JSONB;
import org.junit.jupiter.api.Test;

class JsonbTest {

  @Test
  void equalMapsEncodeToEqualSortedCompactBytes() {
    var unordered = new LinkedHashMap<String, String>();
    unordered.put("team", "blue");
    unordered.put("kind", "id \"card\"");

    assertThat(Jsonb.of(unordered).data()).isEqualTo("{\"kind\":\"id \\\"card\\\"\",\"team\":\"blue\"}");
    assertThat(Jsonb.STRING_MAP.to(unordered)).isEqualTo(Jsonb.of(Map.of("team", "blue", "kind", "id \"card\"")));
  }

  @Test
  void decodesWhatItEncodesAndNullAsEmpty() {
    var labels = Map.of("a", "1", "b", "");

    assertThat(Jsonb.stringMap(Jsonb.of(labels))).isEqualTo(labels);
    assertThat(Jsonb.STRING_MAP.from(JSONB.valueOf("{\"b\": \"2\", \"a\": \"1\"}"))).containsExactly(
        Map.entry("a", "1"), Map.entry("b", "2"));
    assertThat(Jsonb.stringMap((JSONB) null)).isEmpty();
  }
}
