package dev.cairn.server.search.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.search.ingest.Pdfs.Line;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PdfExtractionTest {
  private final Extractor extractor = new Extractor(ExtractionSettings.defaults());

  private static final List<List<Line>> REPORT = List.of(
      List.of(
          Line.heading(24, "Annual Report"),
          Line.heading(16, "Revenue"),
          Line.paragraph("Revenue grew by twelve percent in the second quarter."),
          Line.body("Most of the growth came from the northern region."),
          Line.paragraph("Costs stayed flat.")),
      List.of(
          Line.heading(16, "Outlook"),
          Line.paragraph("We expect slower growth next year.")),
      List.of(
          Line.paragraph("The outlook continues on a page without a heading.")));

  @Test
  void eachBlockCarriesTheNumberOfThePageItIsOn() throws Exception {
    ExtractedDocument document = extractor.extract("application/pdf", Pdfs.of(REPORT));

    assertThat(document.pages()).isEqualTo(3);
    assertThat(document.blocks()).extracting(Block::page, Block::text).contains(
        org.assertj.core.groups.Tuple.tuple(1, "Costs stayed flat."),
        org.assertj.core.groups.Tuple.tuple(2, "We expect slower growth next year."),
        org.assertj.core.groups.Tuple.tuple(3, "The outlook continues on a page without a heading."));
  }

  @Test
  void largerFontsBecomeHeadingsRankedBySize() throws Exception {
    ExtractedDocument document = extractor.extract("application/pdf", Pdfs.of(REPORT));

    assertThat(document.blocks()).filteredOn(b -> b.kind() == BlockKind.HEADING)
        .extracting(Block::level, Block::text, Block::page)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, "Annual Report", 1),
            org.assertj.core.groups.Tuple.tuple(2, "Revenue", 1),
            org.assertj.core.groups.Tuple.tuple(2, "Outlook", 2));
    assertThat(block(document, "Costs stayed flat.").headingPath()).containsExactly("Annual Report", "Revenue");
    assertThat(block(document, "The outlook continues on a page without a heading.").headingPath())
        .containsExactly("Annual Report", "Outlook");
  }

  @Test
  void linesOfOneParagraphStayTogetherAndParagraphsSplitOnVerticalSpace() throws Exception {
    ExtractedDocument document = extractor.extract("application/pdf", Pdfs.of(REPORT));

    assertThat(document.blocks()).extracting(Block::text).contains(
        "Revenue grew by twelve percent in the second quarter. Most of the growth came from the northern region.",
        "Costs stayed flat.");
  }

  @Test
  void theDocumentInformationTitleIsTheTitle() throws Exception {
    ExtractedDocument document = extractor.extract("application/pdf", Pdfs.titled("Q2 figures", REPORT));

    assertThat(document.title()).isEqualTo("Q2 figures");
  }

  @Test
  void aPdfThatNeedsAPasswordIsEncrypted() {
    byte[] pdf = Pdfs.encrypted("owner-secret", "user-secret", REPORT);

    assertThatThrownBy(() -> extractor.extract("application/pdf", pdf))
        .isInstanceOfSatisfying(ExtractionException.class,
            e -> assertThat(e.reason()).isEqualTo(ExtractionException.Reason.ENCRYPTED));
  }

  @Test
  void aPdfProtectedOnlyByAnOwnerPasswordIsRead() throws Exception {
    byte[] pdf = Pdfs.encrypted("owner-secret", "", REPORT);

    assertThat(extractor.extract("application/pdf", pdf).text()).contains("Costs stayed flat.");
  }

  @Test
  void aPdfCutShortIsMalformed() {
    byte[] whole = Pdfs.of(REPORT);
    byte[] cut = Arrays.copyOf(whole, 60);

    assertThatThrownBy(() -> extractor.extract("application/pdf", cut))
        .isInstanceOfSatisfying(ExtractionException.class,
            e -> assertThat(e.reason()).isEqualTo(ExtractionException.Reason.MALFORMED));
  }

  @Test
  void bytesThatAreNoPdfAreMalformed() {
    byte[] junk = "%PDF-1.7\nthis is not a pdf at all\n%%EOF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    assertThatThrownBy(() -> extractor.extract("application/pdf", junk))
        .isInstanceOfSatisfying(ExtractionException.class,
            e -> assertThat(e.reason()).isEqualTo(ExtractionException.Reason.MALFORMED));
  }

  @Test
  void anImageOnlyPdfHasNoText() {
    assertThatThrownBy(() -> extractor.extract("application/pdf", Pdfs.imageOnly()))
        .isInstanceOfSatisfying(ExtractionException.class, e -> {
          assertThat(e.reason()).isEqualTo(ExtractionException.Reason.NO_TEXT);
          assertThat(e.getMessage()).contains("1 pages");
        });
  }

  @Test
  void tenThousandPagesAreRefusedBeforeAnyTextIsRead() {
    byte[] pdf = Pdfs.blankPages(10_000);
    long started = System.nanoTime();

    assertThatThrownBy(() -> extractor.extract("application/pdf", pdf))
        .isInstanceOfSatisfying(ExtractionException.class, e -> {
          assertThat(e.reason()).isEqualTo(ExtractionException.Reason.TOO_LARGE);
          assertThat(e.getMessage()).contains("10000 pages").contains("2000");
        });
    assertThat((System.nanoTime() - started) / 1_000_000).as("milliseconds").isLessThan(5_000);
  }

  @Test
  void textBeyondTheCharacterLimitStopsTheExtraction() {
    Extractor small = new Extractor(new ExtractionSettings(1 << 20, 100, 10));

    assertThatThrownBy(() -> small.extract("application/pdf", Pdfs.of(REPORT)))
        .isInstanceOfSatisfying(ExtractionException.class,
            e -> assertThat(e.reason()).isEqualTo(ExtractionException.Reason.TOO_LARGE));
  }

  private static Block block(ExtractedDocument document, String text) {
    return document.blocks().stream().filter(b -> b.text().equals(text)).findFirst().orElseThrow();
  }
}
