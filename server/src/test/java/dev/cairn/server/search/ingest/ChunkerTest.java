package dev.cairn.server.search.ingest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.search.ingest.Pdfs.Line;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkerTest {
  private static final TokenCounter TOKENS = BgeTokens.INSTANCE;
  private static final ChunkingSettings SMALL = new ChunkingSettings(64, 16, 10_000);
  private static final String[] WORDS = ("the of retrieval model vector patients protein expression "
      + "significantly increased cells treatment cohort analysis kinase pathway reduced mortality risk "
      + "associated randomized trial observed").split(" ");

  private final Extractor extractor = new Extractor(ExtractionSettings.defaults());
  private final Chunker chunker = new Chunker(SMALL, TOKENS);

  @Test
  void noChunkHasMoreTokensThanTheLimitByTheRealTokenizer() throws Exception {
    String markdown = "# Study\n\n" + paragraphs(new Random(1), 40)
        + "\n\n" + "runon ".repeat(400) + "\n\n" + "x".repeat(5_000) + "\n\n```\n" + "int x = 1;\n".repeat(100) + "```\n";
    List<Chunk> chunks = chunker.chunk(markdown(markdown));

    assertThat(chunks).hasSizeGreaterThan(40);
    assertThat(chunks).allSatisfy(chunk -> {
      assertThat(TOKENS.count(chunk.text())).isLessThanOrEqualTo(64).isEqualTo(chunk.tokens());
      assertThat(chunk.text().length()).isLessThanOrEqualTo(64 * 16);
    });
  }

  @Test
  void offsetsAreCodePointsThatSliceExactlyTheChunkTextFromTheCanonicalText() throws Exception {
    String text = "\uD83D\uDE00\uD83C\uDF89 Emoji first. " + paragraphs(new Random(2), 12)
        + "\n\nMore \uD83E\uDDEA emoji \uD83D\uDC4D\uD83C\uDFFD in the middle. " + paragraphs(new Random(3), 12);
    ExtractedDocument document = extractor.extract("text/plain", text.getBytes(UTF_8));
    int[] codePoints = document.text().codePoints().toArray();

    List<Chunk> chunks = chunker.chunk(document);

    assertThat(chunks).hasSizeGreaterThan(5).allSatisfy(chunk ->
        assertThat(new String(codePoints, chunk.start(), chunk.end() - chunk.start())).isEqualTo(chunk.text()));
    Chunk last = chunks.getLast();
    assertThat(document.text().indexOf(last.text())).as("UTF-16 index differs").isGreaterThan(last.start());
  }

  @Test
  void consecutiveChunksOfASectionRepeatWholeSentencesWithinTheOverlapBound() throws Exception {
    ExtractedDocument document = extractor.extract("text/plain", paragraphs(new Random(4), 30).getBytes(UTF_8));
    String text = document.text();
    List<Chunk> chunks = chunker.chunk(document);
    int overlapping = 0;

    for (int i = 1; i < chunks.size(); i++) {
      Chunk previous = chunks.get(i - 1);
      Chunk next = chunks.get(i);
      assertThat(next.start()).isGreaterThan(previous.start());
      if (next.start() < previous.end()) {
        overlapping++;
        String repeated = text.substring(text.offsetByCodePoints(0, next.start()), text.offsetByCodePoints(0, previous.end()));
        assertThat(TOKENS.count(repeated)).isLessThanOrEqualTo(16);
        assertThat(repeated).endsWith(".");
        assertThat(previous.text()).endsWith(repeated);
        assertThat(text.substring(0, text.offsetByCodePoints(0, next.start()))).matches("(?s).*(\\. |\n\n)");
      }
    }
    assertThat(overlapping).isGreaterThan(chunks.size() / 2);
  }

  @Test
  void aChunkIsOnOnePageAndSaysWhichOne() throws Exception {
    List<List<Line>> pages = new ArrayList<>();
    Random random = new Random(5);
    for (int p = 0; p < 3; p++) {
      List<Line> lines = new ArrayList<>();
      for (int l = 0; l < 30; l++) {
        lines.add(l % 6 == 0 ? Line.paragraph(sentence(random)) : Line.body(sentence(random)));
      }
      pages.add(lines);
    }
    ExtractedDocument document = extractor.extract("application/pdf", Pdfs.of(pages));

    List<Chunk> chunks = chunker.chunk(document);

    assertThat(chunks).extracting(Chunk::page).contains(1, 2, 3).isSorted();
    for (Chunk chunk : chunks) {
      assertThat(pagesUnder(document, chunk)).containsOnly(chunk.page());
    }
  }

  @Test
  void everyChunkOfASectionCarriesItsHeadingsAndTheEmbeddingTextSaysThemOnce() throws Exception {
    String markdown = "# Guide\n\n## Install\n\n" + paragraphs(new Random(6), 10) + "\n\n## Use\n\nShort.\n";
    List<Chunk> chunks = chunker.chunk(markdown(markdown));
    List<Chunk> install = chunks.stream().filter(c -> c.headingPath().equals(List.of("Guide", "Install"))).toList();

    assertThat(install).hasSizeGreaterThan(2);
    assertThat(install.getFirst().text()).startsWith("Guide\n\nInstall\n\n");
    assertThat(install.getFirst().embeddingText()).isEqualTo(install.getFirst().text());
    assertThat(install.subList(1, install.size())).allSatisfy(chunk ->
        assertThat(chunk.embeddingText()).isEqualTo("Guide > Install\n\n" + chunk.text()));
    assertThat(chunks.getLast()).satisfies(chunk -> {
      assertThat(chunk.text()).isEqualTo("Use\n\nShort.");
      assertThat(chunk.headingPath()).containsExactly("Guide", "Use");
      assertThat(chunk.embeddingText()).isEqualTo("Guide\n\nUse\n\nShort.");
    });
  }

  @Test
  void aHeadingStartsANewChunkEvenWhenBothSectionsWouldFitInOne() throws Exception {
    List<Chunk> chunks = chunker.chunk(markdown("# A\n\nOne.\n\n# B\n\nTwo.\n"));

    assertThat(chunks).extracting(Chunk::ordinal, Chunk::text).containsExactly(
        org.assertj.core.groups.Tuple.tuple(0, "A\n\nOne."), org.assertj.core.groups.Tuple.tuple(1, "B\n\nTwo."));
  }

  @Test
  void chunksEndWhereParagraphsEndWhenThatKeepsThemHalfFull() throws Exception {
    Random random = new Random(7);
    StringBuilder text = new StringBuilder();
    for (int p = 0; p < 12; p++) {
      text.append(sentence(random, 9)).append(' ').append(sentence(random, 9)).append("\n\n");
    }
    ExtractedDocument document = extractor.extract("text/plain", text.toString().getBytes(UTF_8));
    List<Chunk> chunks = new Chunker(new ChunkingSettings(64, 0, 100), TOKENS).chunk(document);

    // two paragraphs fill a chunk more than half, three do not fit: the cut must fall between paragraphs
    assertThat(document.blocks()).allSatisfy(b -> assertThat(TOKENS.count(b.text())).isBetween(17, 30));
    assertThat(chunks).hasSizeGreaterThanOrEqualTo(6);
    for (Chunk chunk : chunks) {
      assertThat(document.blocks()).extracting(Block::text).anySatisfy(b -> assertThat(chunk.text()).endsWith(b));
    }
  }

  @Test
  void moreChunksThanAllowedIsTooLarge() throws Exception {
    ExtractedDocument document = extractor.extract("text/plain", paragraphs(new Random(8), 20).getBytes(UTF_8));
    Chunker strict = new Chunker(new ChunkingSettings(64, 16, 3), TOKENS);

    assertThatThrownBy(() -> strict.chunk(document))
        .isInstanceOfSatisfying(ExtractionException.class, e -> {
          assertThat(e.reason()).isEqualTo(ExtractionException.Reason.TOO_LARGE);
          assertThat(e.getMessage()).contains("more than 3");
        });
  }

  @Test
  void aDocumentWithoutBlocksHasNoChunks() throws Exception {
    assertThat(chunker.chunk(new ExtractedDocument(null, List.of(), 0))).isEmpty();
  }

  @Test
  void settingsOutsideTheirRangesAreRefusedSayingTheRange() {
    assertThatThrownBy(() -> new ChunkingSettings(8, 0, 10)).hasMessage("maxTokens: 8 (expected: 16..8192)");
    assertThatThrownBy(() -> new ChunkingSettings(256, 200, 10))
        .hasMessage("overlapTokens: 200 (expected: 0..128, at most half of maxTokens)");
    assertThatThrownBy(() -> new ChunkingSettings(256, 32, 0)).hasMessageStartingWith("maxChunksPerItem: 0");
    assertThat(ChunkingSettings.defaults()).isEqualTo(new ChunkingSettings(256, 32, 10_000));
  }

  @Test
  void theTokenizerCountsBgeWordPiecesAsTheModelSeesAPassageWithoutTruncation() {
    // [CLS] and [SEP] included: a chunk's count is what the embedder reads of it
    assertThat(TOKENS.count("hello world")).isEqualTo(4);
    assertThat(TOKENS.count("unbelievably")).isGreaterThan(3);
    assertThat(TOKENS.count("word ".repeat(2_000))).isEqualTo(2_002);
  }

  private ExtractedDocument markdown(String markdown) throws ExtractionException {
    return extractor.extract("text/markdown", markdown.getBytes(UTF_8));
  }

  /** The pages of the blocks that the chunk's text overlaps. */
  private static List<Integer> pagesUnder(ExtractedDocument document, Chunk chunk) {
    List<Integer> pages = new ArrayList<>();
    int offset = 0;
    for (Block block : document.blocks()) {
      int length = block.text().codePointCount(0, block.text().length());
      if (offset < chunk.end() && offset + length > chunk.start()) {
        pages.add(block.page());
      }
      offset += length + 2;
    }
    return pages;
  }

  private static String paragraphs(Random random, int count) {
    StringBuilder text = new StringBuilder();
    for (int p = 0; p < count; p++) {
      int sentences = 1 + random.nextInt(6);
      for (int s = 0; s < sentences; s++) {
        text.append(sentence(random)).append(' ');
      }
      text.append("\n\n");
    }
    return text.toString();
  }

  private static String sentence(Random random) {
    return sentence(random, 4 + random.nextInt(12));
  }

  private static String sentence(Random random, int words) {
    StringBuilder sentence = new StringBuilder("Results");
    for (int w = 0; w < words; w++) {
      sentence.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
    }
    return sentence.append('.').toString();
  }
}
