package dev.cairn.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.chat.v1.Citation;
import dev.cairn.chat.v1.FinishReason;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which source an answer quotes first: its first [n] marker, not the top citation. */
class ChatCallsTest {
  private static final List<Citation> CITATIONS = List.of(
      Citation.newBuilder().setItem("items/a").build(), Citation.newBuilder().setItem("items/b").build());

  private static ChatCalls.Answer answer(String text) {
    return new ChatCalls.Answer(0, 0, 0, 0, 1, text.length(), CITATIONS, FinishReason.FINISH_REASON_STOP, text, -1,
        List.of());
  }

  @Test
  void theFirstMarkerInTheTextNamesTheSourceQuotedFirst() {
    assertThat(answer("Tides follow the Moon [2]. They rise twice a day [1]").firstQuotedItem()).isEqualTo("items/b");
    assertThat(answer("Tides follow the Moon [2].").firstCitedItem()).isEqualTo("items/a");
  }

  @Test
  void aMarkerPastTheCitationsOrNoMarkerQuotesNothing() {
    assertThat(answer("Cited as (12) in the source [7] and more [1]").firstQuotedItem()).isEqualTo("items/a");
    assertThat(answer("No markers here").firstQuotedItem()).isEmpty();
  }
}
