package dev.cairn.server.search.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.cairn.server.core.CairnException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The default model (bge-small-en-v1.5, quantized) run for real from its Maven artifact. */
class OnnxEmbedderTest {
  private static OnnxEmbedder bge;

  @BeforeAll
  static void load() {
    bge = OnnxEmbedder.open(EmbedderSettings.defaults(OnnxModel.BGE_SMALL_EN_V15_Q).withBatchSize(4));
  }

  @AfterAll
  static void close() {
    bge.close();
  }

  @Test
  void vectorsHaveTheModelsDimensionsAndUnitLength() {
    float[][] vectors = bge.embedPassages(List.of("The cat sat on the mat.", "Insulin lowers blood glucose."));

    assertThat(bge.dimensions()).isEqualTo(384);
    assertThat(vectors).hasDimensions(2, 384);
    for (float[] v : vectors) {
      assertThat(dot(v, v)).isCloseTo(1.0, within(1e-4));
    }
  }

  @Test
  void aQueryIsClosestToThePassageThatAnswersIt() {
    float[][] passages = bge.embedPassages(List.of(
        "Insulin is a hormone made by the pancreas that lowers the level of glucose in the blood.",
        "The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
        "Photosynthesis converts light energy into chemical energy stored in glucose."));

    float[] query = bge.embedQuery("which hormone regulates blood sugar");

    assertThat(dot(query, passages[0])).isGreaterThan(dot(query, passages[1]));
    assertThat(dot(query, passages[0])).isGreaterThan(dot(query, passages[2]));
  }

  /**
   * The models are dynamically quantized: each layer's int8 scale is taken over the whole batch
   * (padding included), so a passage's neighbours move its vector a little (measured: cosine
   * 0.996 or more), never more than that.
   */
  @Test
  void batchingMovesAVectorOnlyWithinQuantizationNoise() {
    String shortText = "Vitamin D.";
    List<String> mixed = List.of(
        "A much longer passage about vitamin D deficiency, bone density, sunlight exposure and the risk of fractures in older adults.",
        shortText,
        "Medium length text on calcium.",
        "Another sentence, about sleep and circadian rhythm.",
        "And a fifth one so that the batch of four spills into a second batch.");

    float[][] together = bge.embedPassages(mixed);
    for (int i = 0; i < mixed.size(); i++) {
      float[] alone = bge.embedPassages(List.of(mixed.get(i)))[0];
      assertThat(dot(together[i], alone)).as("passage %d", i).isGreaterThan(0.99);
    }
  }

  @Test
  void theQueryInstructionIsAddedToQueriesOnly() {
    String text = "effects of aspirin on heart attack risk";

    float[] asPassage = bge.embedPassages(List.of(text))[0];
    float[] asQuery = bge.embedQuery(text);
    float[] withInstruction =
        bge.embedPassages(List.of("Represent this sentence for searching relevant passages: " + text))[0];

    assertThat(dot(asQuery, withInstruction)).isCloseTo(1.0, within(1e-4));
    assertThat(dot(asQuery, asPassage)).isLessThan(0.99);
  }

  @Test
  void aPassagePastTheWindowIsEmbeddedFromItsFirstTokens() {
    String head = "Mitochondria are the powerhouse of the cell. ".repeat(60);
    String huge = head + "zebra ".repeat(2_000_000);

    float[] ofHuge = bge.embedPassages(List.of(huge))[0];
    float[] ofHead = bge.embedPassages(List.of(head + "zebra ".repeat(100)))[0];

    assertThat(bge.countTokens(head)).isGreaterThan(bge.maxTokens());
    assertThat(dot(ofHuge, ofHead)).isCloseTo(1.0, within(1e-4));
  }

  @Test
  void countTokensCountsSpecialTokensAndDoesNotTruncate() {
    assertThat(bge.countTokens("hello world")).isEqualTo(4); // [CLS] hello world [SEP]
    assertThat(bge.countTokens("word ".repeat(1000))).isEqualTo(1002);
    TokenCounter counter = bge::countTokens;
    assertThat(counter.count("hello world")).isEqualTo(4);
  }

  @Test
  void anEmptyListGivesNoVectors() {
    assertThat(bge.embedPassages(List.of())).isEmpty();
  }

  @Test
  void aBlankPassageIsRefusedNamingItsIndex() {
    assertThatThrownBy(() -> bge.embedPassages(List.of("fine", " \n\t")))
        .isInstanceOf(CairnException.class)
        .hasMessage("passages[1]: blank (expected: text with a visible character)")
        .extracting(e -> ((CairnException) e).kind())
        .isEqualTo(CairnException.Kind.INVALID_ARGUMENT);
    assertThatThrownBy(() -> bge.embedQuery(""))
        .isInstanceOf(CairnException.class)
        .hasMessageStartingWith("query: blank");
  }

  @Test
  void aNulSeparatesWordsLikeASpace() {
    float[] withNul = bge.embedPassages(List.of("blood\0pressure"))[0];
    float[] withSpace = bge.embedPassages(List.of("blood pressure"))[0];

    assertThat(dot(withNul, withSpace)).isCloseTo(1.0, within(1e-5));
    assertThatThrownBy(() -> bge.embedPassages(List.of("\0\0")))
        .isInstanceOf(CairnException.class)
        .hasMessageStartingWith("passages[0]: blank");
  }

  @Test
  void aLoneSurrogateIsEmbeddedAsTheReplacementCharacter() {
    float[] lone = bge.embedPassages(List.of("heart \uD800 rate"))[0];
    float[] replaced = bge.embedPassages(List.of("heart \uFFFD rate"))[0];

    assertThat(dot(lone, replaced)).isCloseTo(1.0, within(1e-5));
  }

  @Test
  void concurrentCallersGetTheSameVectorsAsOneCaller() throws Exception {
    List<String> texts = List.of("alpha particles", "beta decay", "gamma rays", "delta waves in sleep");
    float[][] expected = bge.embedPassages(texts);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[][]>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> bge.embedPassages(texts)));
      }
      for (Future<float[][]> result : results) {
        float[][] got = result.get();
        for (int i = 0; i < texts.size(); i++) {
          assertThat(dot(got[i], expected[i])).isCloseTo(1.0, within(1e-5));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * An item's two chunks are typically one full one and a short remainder: the batches keep the
   * short ones apart from the long ones (cutting every 16 rows padded each short chunk to the
   * long one's length), while equal lengths still share a call up to the batch size.
   */
  @Test
  void batchesCutWhereLengthsFallSoShortPassagesAreNotPaddedToLongOnes() {
    String longText = "Vitamin D deficiency is linked to low bone density and fractures in older adults. ".repeat(12);
    String shortText = "Calcium intake and bone health.";
    List<ai.djl.huggingface.tokenizers.Encoding> encodings = new ArrayList<>();
    for (int i = 0; i < 6; i++) { // as six two-chunk items arrive: long, short, long, short...
      encodings.add(bge.encodeForBenchmark(longText + i));
      encodings.add(bge.encodeForBenchmark(shortText + " " + i));
    }

    List<int[]> batches = OnnxEmbedder.batchesByLength(encodings, 16);

    assertThat(batches).hasSize(2);
    long real = encodings.stream().mapToLong(e -> e.getIds().length).sum();
    long run = 0;
    List<Integer> seen = new ArrayList<>();
    for (int[] batch : batches) {
      int longest = 0;
      for (int i : batch) {
        longest = Math.max(longest, encodings.get(i).getIds().length);
        seen.add(i);
      }
      run += (long) batch.length * longest;
    }
    assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    assertThat(run).as("tokens run against real tokens").isLessThan(real * 105 / 100);
  }

  @Test
  void passagesOfOneLengthShareACallUpToTheBatchSize() {
    List<ai.djl.huggingface.tokenizers.Encoding> encodings = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      encodings.add(bge.encodeForBenchmark("A passage about sleep and circadian rhythm."));
    }

    List<int[]> batches = OnnxEmbedder.batchesByLength(encodings, 16);

    assertThat(batches).extracting(b -> b.length).containsExactlyInAnyOrder(16, 16, 8);
  }

  @Test
  void aClosedEmbedderRefusesWork() {
    OnnxEmbedder embedder = OnnxEmbedder.open(EmbedderSettings.defaults(OnnxModel.BGE_SMALL_EN_V15_Q));
    embedder.close();
    embedder.close(); // a second close is harmless

    assertThatThrownBy(() -> embedder.embedQuery("anything"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("embedder bge-small-en-v1.5-q is closed");
  }

  static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }
}
