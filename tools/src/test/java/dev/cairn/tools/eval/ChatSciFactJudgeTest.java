package dev.cairn.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.chat.v1.FinishReason;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the SciFact chat evaluation scores one answer. */
class ChatSciFactJudgeTest {

  @Test
  void aFirstCitationOfADocumentTheQrelsJudgeRelevantIsAHit() {
    assertThat(ChatSciFactEval.judge(FinishReason.FINISH_REASON_STOP, "42", Map.of("42", 1)))
        .isEqualTo(ChatSciFactEval.Outcome.RELEVANT_FIRST);
    assertThat(ChatSciFactEval.judge(FinishReason.FINISH_REASON_STOP, "7", Map.of("42", 1)))
        .isEqualTo(ChatSciFactEval.Outcome.OTHER_FIRST);
  }

  @Test
  void aNoSourcesAnswerIsNeverAHitEvenWithCitations() {
    assertThat(ChatSciFactEval.judge(FinishReason.FINISH_REASON_NO_SOURCES, "42", Map.of("42", 1)))
        .isEqualTo(ChatSciFactEval.Outcome.NO_SOURCES);
    assertThat(ChatSciFactEval.judge(FinishReason.FINISH_REASON_STOP, "", Map.of("42", 1)))
        .isEqualTo(ChatSciFactEval.Outcome.NO_CITATION);
  }
}
