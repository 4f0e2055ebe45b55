package dev.cairn.server.chat.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseReaderTest {
  private static List<String> events(String stream) throws IOException {
    SseReader reader = new SseReader(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)), 64);
    List<String> events = new ArrayList<>();
    for (String data = reader.next(); data != null; data = reader.next()) {
      events.add(data);
    }
    return events;
  }

  @Test
  void eventsAreDispatchedAtBlankLinesWhateverTheLineEnding() throws IOException {
    assertThat(events("data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: [DONE]\n\n"))
        .containsExactly("a", "b", "c", "[DONE]");
  }

  @Test
  void severalDataLinesJoinWithNewlinesAndOnlyOneLeadingSpaceIsDropped() throws IOException {
    assertThat(events("data:x\ndata:  y\n\n")).containsExactly("x\n y");
  }

  @Test
  void commentsAndOtherFieldsAreSkipped() throws IOException {
    assertThat(events(": keep-alive\n\nevent: message\nid: 7\nretry: 100\ndata: z\n\n")).containsExactly("z");
  }

  @Test
  void anUnfinishedEventAtTheEndIsDropped() throws IOException {
    assertThat(events("data: whole\n\ndata: half")).containsExactly("whole");
  }

  @Test
  void multiByteCharactersSurviveIntact() throws IOException {
    assertThat(events("data: café — 東京\n\n")).containsExactly("café — 東京");
  }

  @Test
  void aLineLongerThanTheLimitFailsTheStream() {
    assertThatThrownBy(() -> events("data: " + "x".repeat(100) + "\n\n"))
        .isInstanceOf(IOException.class).hasMessageContaining("longer than 64 bytes");
  }
}
