package dev.cairn.server.search.ingest;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import org.junit.jupiter.api.Test;

class PlainTextExtractionTest {
  private final Extractor extractor = new Extractor(ExtractionSettings.defaults());

  @Test
  void blankLinesSeparateParagraphsWhateverTheLineEnds() throws Exception {
    byte[] text = "First line\r\nstill first.\r\n\r\nSecond.\r  \r\rThird.\n\n\n".getBytes(UTF_8);

    assertThat(extractor.extract("text/plain", text).blocks())
        .extracting(Block::kind, Block::text, Block::page)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(BlockKind.PARAGRAPH, "First line still first.", 0),
            org.assertj.core.groups.Tuple.tuple(BlockKind.PARAGRAPH, "Second.", 0),
            org.assertj.core.groups.Tuple.tuple(BlockKind.PARAGRAPH, "Third.", 0));
  }

  @Test
  void nulsAndOtherControlCharactersAreRemovedButTabsStayAsSpace() throws Exception {
    byte[] text = "nu\u0000ll\u0007 byte\tand\u001b tab".getBytes(UTF_8);

    assertThat(extractor.extract("text/plain", text).text()).isEqualTo("null byte and tab");
  }

  @Test
  void theCharsetParameterIsHonoured() throws Exception {
    byte[] latin1 = "Café crème, naïve".getBytes(ISO_8859_1);

    assertThat(extractor.extract("text/plain; charset=ISO-8859-1", latin1).text()).isEqualTo("Café crème, naïve");
    assertThat(extractor.extract("Text/Plain;Charset=\"latin1\"", latin1).text()).isEqualTo("Café crème, naïve");
  }

  @Test
  void withoutACharsetTheTextIsUtf8AndInvalidBytesBecomeReplacementCharacters() throws Exception {
    byte[] broken = {'o', 'k', ' ', (byte) 0xC3, ' ', (byte) 0xFF, ' ', 'e', 'n', 'd'};

    assertThat(extractor.extract("text/plain", broken).text()).isEqualTo("ok \uFFFD \uFFFD end");
  }

  @Test
  void textIsNormalisedToNfcAndKeepsEmoji() throws Exception {
    byte[] decomposed = "cafe\u0301 \uD83D\uDE00 \uFEFFok".getBytes(UTF_8);

    assertThat(extractor.extract("text/plain", decomposed).text()).isEqualTo("caf\u00E9 \uD83D\uDE00 ok");
  }

  @Test
  void anUnknownCharsetIsUnsupported() {
    assertThatThrownBy(() -> extractor.extract("text/plain; charset=x-no-such", new byte[] {'a'}))
        .isInstanceOfSatisfying(ExtractionException.class,
            e -> assertThat(e.reason()).isEqualTo(ExtractionException.Reason.UNSUPPORTED_MEDIA_TYPE));
  }

  @Test
  void unknownMediaTypesAreUnsupportedWithoutReadingTheContent() {
    InputStream untouchable = new InputStream() {
      @Override
      public int read() {
        throw new AssertionError("read the content of an unsupported type");
      }
    };

    for (String type : new String[] {"image/png", "application/zip", "not a media type", ""}) {
      assertThatThrownBy(() -> extractor.extract(type, untouchable))
          .isInstanceOfSatisfying(ExtractionException.class,
              e -> assertThat(e.reason()).isEqualTo(ExtractionException.Reason.UNSUPPORTED_MEDIA_TYPE));
    }
  }

  @Test
  void anEmptyOrBlankFileHasNoText() {
    for (String text : new String[] {"", " \n\n\t\r\n", "\u0000\u0000"}) {
      assertThatThrownBy(() -> extractor.extract("text/plain", text.getBytes(UTF_8)))
          .isInstanceOfSatisfying(ExtractionException.class,
              e -> assertThat(e.reason()).isEqualTo(ExtractionException.Reason.NO_TEXT));
    }
  }

  @Test
  void fiftyMegabytesOfTextAreRefusedAfterReadingNoMoreThanTheLimit() {
    CountingStream fiftyMegabytes = new CountingStream(50L << 20);

    assertThatThrownBy(() -> extractor.extract("text/plain", fiftyMegabytes))
        .isInstanceOfSatisfying(ExtractionException.class, e -> {
          assertThat(e.reason()).isEqualTo(ExtractionException.Reason.TOO_LARGE);
          assertThat(e.getMessage()).contains(String.valueOf(32L << 20));
        });
    assertThat(fiftyMegabytes.read).isEqualTo((32L << 20) + 1);
  }

  @Test
  void moreTextThanTheCharacterLimitIsTooLarge() {
    Extractor small = new Extractor(new ExtractionSettings(1 << 20, 1_000, 10));
    byte[] text = "word ".repeat(300).getBytes(UTF_8);

    assertThatThrownBy(() -> small.extract("text/plain", text))
        .isInstanceOfSatisfying(ExtractionException.class, e -> {
          assertThat(e.reason()).isEqualTo(ExtractionException.Reason.TOO_LARGE);
          assertThat(e.getMessage()).contains("1000 characters");
        });
  }

  /** An endless-looking stream of text that counts what was read from it. */
  private static final class CountingStream extends InputStream {
    private final long size;
    long read;

    CountingStream(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      return read < size ? "lorem ipsum\n".charAt((int) (read++ % 12)) : -1;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
      if (length == 0) {
        return 0;
      }
      int n = (int) Math.min(length, size - read);
      if (n <= 0) {
        return -1;
      }
      for (int i = 0; i < n; i++) {
        buffer[offset + i] = (byte) "lorem ipsum\n".charAt((int) ((read + i) % 12));
      }
      read += n;
      return n;
    }
  }
}
