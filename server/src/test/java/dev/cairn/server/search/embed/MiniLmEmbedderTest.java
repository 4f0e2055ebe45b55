package dev.cairn.server.search.embed;

import static dev.cairn.server.search.embed.OnnxEmbedderTest.dot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The alternative model (all-MiniLM-L6-v2, quantized, mean pooling) and the settings' rules. */
class MiniLmEmbedderTest {

  @Test
  void miniLmEmbedsQueriesAndPassagesAlikeAndRanksTheAnswerFirst() {
    try (OnnxEmbedder miniLm = OnnxEmbedder.open(EmbedderSettings.defaults(OnnxModel.ALL_MINILM_L6_V2_Q))) {
      float[][] passages = miniLm.embedPassages(List.of(
          "Aspirin reduces the risk of heart attack by inhibiting platelet aggregation.",
          "The Great Wall of China is visible across northern China.",
          "A good night's sleep improves memory consolidation."));
      float[] query = miniLm.embedQuery("does aspirin prevent myocardial infarction");

      assertThat(miniLm.modelId()).isEqualTo("all-minilm-l6-v2-q");
      assertThat(miniLm.dimensions()).isEqualTo(384);
      assertThat(miniLm.maxTokens()).isEqualTo(256);
      assertThat(dot(query, query)).isCloseTo(1.0, within(1e-4));
      assertThat(dot(query, passages[0])).isGreaterThan(dot(query, passages[1]));
      assertThat(dot(query, passages[0])).isGreaterThan(dot(query, passages[2]));
      float[] sameAsPassage = miniLm.embedPassages(List.of("does aspirin prevent myocardial infarction"))[0];
      assertThat(dot(query, sameAsPassage)).isCloseTo(1.0, within(1e-5)); // no query instruction
    }
  }

  @Test
  void settingsRefuseOutOfRangeValuesSayingWhatIsExpected() {
    EmbedderSettings defaults = EmbedderSettings.defaults(OnnxModel.BGE_SMALL_EN_V15_Q);

    assertThatThrownBy(() -> defaults.withBatchSize(0)).hasMessage("batchSize: 0 (expected: 1..256)");
    assertThatThrownBy(() -> defaults.withIntraOpThreads(-1))
        .hasMessage("intraOpThreads: -1 (expected: 0..64, 0 = one per core)");
    assertThatThrownBy(() -> defaults.withMaxTokens(513)).hasMessage("maxTokens: 513 (expected: 8..512)");
    assertThatThrownBy(() -> OnnxModel.byId("gpt-embed"))
        .hasMessage("model: gpt-embed (expected: bge-small-en-v1.5-q or all-minilm-l6-v2-q)");
    assertThat(OnnxModel.byId("bge-small-en-v1.5-q")).isEqualTo(OnnxModel.BGE_SMALL_EN_V15_Q);
  }
}
