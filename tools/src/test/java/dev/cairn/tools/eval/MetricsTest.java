package dev.cairn.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** BEIR's definitions, checked against values worked out by hand. */
class MetricsTest {

  @Test
  void ndcgDiscountsByLog2OfTheRankPlusOneAgainstTheIdealOrderOfTheQrels() {
    // relevant a (gain 2) at rank 3 and b (gain 1) at rank 1; ideal: a then b
    double dcg = 1 / log2(2) + 2 / log2(4);
    double idcg = 2 / log2(2) + 1 / log2(3);

    assertThat(Metrics.ndcg(List.of("b", "x", "a"), Map.of("a", 2, "b", 1), 10)).isCloseTo(dcg / idcg, within(1e-12));
  }

  @Test
  void ndcgIsOneForThePerfectRankingAndCountsOnlyTheTopK() {
    assertThat(Metrics.ndcg(List.of("a", "b"), Map.of("a", 1, "b", 1), 10)).isEqualTo(1.0);
    assertThat(Metrics.ndcg(List.of("x", "a"), Map.of("a", 1), 1)).isZero();
  }

  @Test
  void aDocumentRankedTwiceCountsOnceAtItsBestRank() {
    assertThat(Metrics.ndcg(List.of("a", "a"), Map.of("a", 1, "b", 1), 10))
        .isCloseTo(1 / (1 + 1 / log2(3)), within(1e-12));
  }

  @Test
  void recallIsRelevantFoundInTheTopKOverAllRelevant() {
    assertThat(Metrics.recall(List.of("a", "x", "b"), Map.of("a", 1, "b", 1, "c", 1, "d", 0), 100)).isCloseTo(2 / 3.0, within(1e-12));
    assertThat(Metrics.recall(List.of("x", "a"), Map.of("a", 1), 1)).isZero();
    assertThat(Metrics.recall(List.of(), Map.of("a", 1), 100)).isZero();
  }

  @Test
  void quantilesAreNearestRank() {
    List<Double> values = List.of(5.0, 1.0, 3.0, 2.0, 4.0);

    assertThat(Metrics.quantile(values, 0.5)).isEqualTo(3.0);
    assertThat(Metrics.quantile(values, 0.99)).isEqualTo(5.0);
    assertThat(Metrics.quantile(List.of(), 0.5)).isZero();
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
