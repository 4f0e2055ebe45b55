package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.SearchHit;
import dev.cairn.server.core.Principal;
import dev.cairn.server.search.index.ChunkText;
import dev.cairn.server.search.index.WordSpans;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Highlights from the word spans the index job stores with each chunk: a search marks its hits
 * without sending their text through PostgreSQL's parser, and marks them exactly as the parser
 * would (chunks indexed before spans were stored still go through it).
 */
class StoredWordSpansTest {
  private static final String TEXT = "🌻 Regulatory T-cell counts predict cell death; the gardener was planting tulips. "
      + "Plants grow in the gardens of the well-known planter's house.";

  @Test
  void aFreshlyIndexedHitIsHighlightedWithoutAskingTheParser() {
    TestUser ann = SERVER.newUser("ann");
    text(ann, TEXT);
    index();
    long before = parserRuns();

    var hit = lexical(ann, "cell plant").getHits(0);

    assertThat(marked(hit)).containsExactly("T-cell", "cell", "planting", "Plants");
    assertThat(parserRuns()).as("searches that sent hit texts to the parser").isEqualTo(before);
  }

  @Test
  void aDocumentOfMoreChunksThanOneParserStatementTakesHasItsLastChunkHighlighted() {
    TestUser cal = SERVER.newUser("cal");
    var text = new StringBuilder();
    for (int p = 0; p < 14; p++) {
      for (int w = 0; w < 200; w++) {
        text.append("filler").append(p * 200 + w).append(' ');
      }
      text.append("\n\n");
    }
    text.append("The zephyr arrived at dusk.");
    String item = text(cal, text.toString());
    index();
    int chunks = Integer.parseInt(superuser("SELECT count(*) FROM cairn.search_chunks WHERE item_id = ?", id(item)).getFirst());
    assertThat(chunks).as("chunks (the parser takes 64 texts a statement)").isGreaterThan(64);

    var hit = lexical(cal, "zephyr").getHits(0);

    assertThat(marked(hit)).containsExactly("zephyr");
  }

  @Test
  void aChunkStoredWithoutSpansIsMarkedExactlyAsOneStoredWithThem() throws Exception {
    TestUser bo = SERVER.newUser("bo");
    String stored = text(bo, TEXT);
    String legacy = text(bo, TEXT);
    index();
    stripWordSpans(bo, id(legacy));
    long before = parserRuns();

    for (String query : List.of("cell plant", "gardens counts", "well-known house", "planter")) {
      var hits = lexical(bo, query).getHitsList();
      SearchHit fromStored = hits.stream().filter(h -> h.getItem().equals(stored)).findFirst().orElseThrow();
      SearchHit fromParser = hits.stream().filter(h -> h.getItem().equals(legacy)).findFirst().orElseThrow();
      assertThat(fromParser.getSnippet()).as(query).isEqualTo(fromStored.getSnippet());
      assertThat(fromStored.getSnippet().getHighlightsList()).as(query).isNotEmpty();
    }
    assertThat(parserRuns()).as("the legacy chunk went through the parser").isGreaterThan(before);
  }

  @Test
  void aChunksTextHeadingsAndSpansSurviveEncodingAndAnOldChunkDecodesWithoutSpans() {
    var words = new WordSpans(List.of("cell", "t-cell"), new int[] {2, 6, 1, 0, 6, 0});
    var decoded = ChunkText.decode(new ChunkText("🌻 T-cell", List.of("A", "B"), words).encode());

    assertThat(decoded.text()).isEqualTo("🌻 T-cell");
    assertThat(decoded.headings()).containsExactly("A", "B");
    assertThat(decoded.words().lexemes()).containsExactly("cell", "t-cell");
    assertThat(decoded.words().spans()).containsExactly(2, 6, 1, 0, 6, 0);
    var old = ChunkText.decode("{\"text\":\"x\",\"headings\":[\"H\"]}".getBytes(StandardCharsets.UTF_8));
    assertThat(old.words()).isNull();
    assertThat(old.headings()).containsExactly("H");
  }

  @Test
  void aCompoundWordIsMarkedOnceWhicheverOfItsLexemesMatched() {
    var words = new WordSpans(List.of("t-cell", "t", "cell"), new int[] {2, 6, 0, 0, 6, 1, 0, 6, 2});
    var marked = new Highlighter(100).mark("🌻 T-cell", words, Set.of("cell", "t-cell"), Set.of());

    assertThat(marked.highlights()).containsExactly(new Search.Highlight(2, 8));
    assertThat(marked.matchedTerms()).containsExactly("t-cell");
  }

  private static List<String> marked(SearchHit hit) {
    return hit.getSnippet().getHighlightsList().stream()
        .map(h -> codePoints(hit.getSnippet().getText(), h.getStart(), h.getEnd())).toList();
  }

  /** Searches that sent hits' texts through the parser (the highlight.tokens stage), in any mode. */
  private static long parserRuns() {
    return SERVER.server().meters().find("cairn.search.stage").tag("stage", "highlight.tokens").timers().stream()
        .mapToLong(Timer::count).sum();
  }

  /** Rewrites the item's chunks as an index job did before spans were stored: text and headings only. */
  private static void stripWordSpans(TestUser owner, UUID item) throws SQLException {
    UUID ownerId = id(owner);
    var server = SERVER.server();
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "")) {
      try (var select = c.prepareStatement("SELECT version, ordinal, ciphertext FROM cairn.search_chunks WHERE item_id = ?");
          var update = c.prepareStatement("UPDATE cairn.search_chunks SET ciphertext = ? WHERE item_id = ? AND version = ? AND ordinal = ?")) {
        select.setObject(1, item);
        try (var rs = select.executeQuery()) {
          while (rs.next()) {
            int version = rs.getInt(1);
            int ordinal = rs.getInt(2);
            byte[] ciphertext = rs.getBytes(3);
            byte[] rewritten = server.database().transaction(Principal.system(ownerId), sql -> {
              var texts = server.vault().contentStore().chunkTexts(sql, ownerId, false);
              ChunkText old = ChunkText.decode(texts.decrypt(item, version, ordinal, ciphertext));
              assertThat(old.words()).as("spans stored by the index job").isNotNull();
              return texts.encrypt(item, version, ordinal, new ChunkText(old.text(), old.headings(), null).encode());
            });
            update.setBytes(1, rewritten);
            update.setObject(2, item);
            update.setInt(3, version);
            update.setInt(4, ordinal);
            assertThat(update.executeUpdate()).isEqualTo(1);
          }
        }
      }
    }
  }
}
