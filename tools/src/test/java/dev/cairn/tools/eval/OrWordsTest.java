package dev.cairn.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OrWordsTest {
  @Test
  void wordsAreOrEdAndWebsearchOperatorsCannotSlipIn() {
    assertThat(SciFactEval.orWords("0-dimensional biomaterials \"lack\" -inductive OR properties."))
        .isEqualTo("0 OR dimensional OR biomaterials OR lack OR inductive OR properties");
  }
}
