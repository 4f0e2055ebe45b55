package dev.cairn.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.search.v1.Highlight;
import dev.cairn.search.v1.Snippet;
import org.junit.jupiter.api.Test;

/** Highlights arrive in code points; Java strings count UTF-16 chars. */
class SnippetsTest {

  private static Snippet snippet(String text, int... startEnd) {
    Snippet.Builder b = Snippet.newBuilder().setText(text);
    for (int i = 0; i < startEnd.length; i += 2) {
      b.addHighlights(Highlight.newBuilder().setStart(startEnd[i]).setEnd(startEnd[i + 1]));
    }
    return b.build();
  }

  @Test
  void highlightsAfterEmojiLandOnTheRightWordsBecauseOffsetsAreCodePoints() {
    // "🌞" and "🔋" are one code point each but two chars: char offsets would be off by one and two
    String text = "🌞 solar 🔋 panels charge";
    Snippet s = snippet(text, 2, 7, 10, 16);

    assertThat(Snippets.render(s, false)).isEqualTo("🌞 «solar» 🔋 «panels» charge");
  }

  @Test
  void aHighlightedEmojiIsMarkedWhole() {
    Snippet s = snippet("go 👍🏽 now", 3, 5); // thumbs up + skin tone modifier: two code points, four chars

    assertThat(Snippets.render(s, false)).isEqualTo("go «👍🏽» now");
  }

  @Test
  void onATerminalHighlightsAreBoldReverseAndReset() {
    Snippet s = snippet("solar panels", 0, 5);

    assertThat(Snippets.render(s, true)).isEqualTo("\u001b[1;7msolar\u001b[0m panels");
  }

  @Test
  void escapeSequencesInTheIndexedTextCannotReachTheTerminal() {
    String hostile = "ok\u001b]0;pwned\u0007 \u001b[2Jsolar\u009b";
    int at = hostile.indexOf("solar"); // all BMP: chars = code points here
    Snippet s = snippet(hostile, at, at + 5);

    String rendered = Snippets.render(s, true);

    assertThat(rendered.replace(Snippets.ANSI_ON, "").replace(Snippets.ANSI_OFF, ""))
        .doesNotContain("\u001b", "\u0007", "\u009b");
    assertThat(rendered).contains(Snippets.ANSI_ON + "solar" + Snippets.ANSI_OFF);
  }

  @Test
  void outOfRangeOrOverlappingHighlightsAreClampedNotThrown() {
    Snippet s = snippet("short", 3, 99, 1, 4, 50, 60);

    assertThat(Snippets.render(s, false)).isEqualTo("sho«rt»");
  }

  @Test
  void aSnippetWithoutHighlightsIsItsText() {
    assertThat(Snippets.render(snippet("plain text"), false)).isEqualTo("plain text");
  }
}
