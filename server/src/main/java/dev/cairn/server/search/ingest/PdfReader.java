package dev.cairn.server.search.ingest;

import java.io.IOException;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;

/**
 * application/pdf through PDFBox: the page count checked before any text is read, then text page
 * by page with headings found by font size. PDFBox throws all sorts of runtime exceptions on
 * damaged files; every one of them means MALFORMED here.
 */
final class PdfReader {
  private PdfReader() {}

  static ExtractedDocument read(byte[] bytes, ExtractionSettings settings, DocumentBuilder builder)
      throws ExtractionException {
    // the empty user password opens files that are only owner-protected (no password to read)
    try (PDDocument pdf = Loader.loadPDF(bytes, "", null, null, IOUtils.createMemoryOnlyStreamCache())) {
      int pages = pdf.getNumberOfPages();
      if (pages > settings.maxPages()) {
        throw new ExtractionException(ExtractionException.Reason.TOO_LARGE,
            "pdf: " + pages + " pages (the configured limit is " + settings.maxPages() + ")");
      }
      PdfPageStripper stripper = new PdfPageStripper(pages, settings.maxChars());
      stripper.getText(pdf);
      addPages(stripper.pages(), builder);
      return builder.build(pdf.getDocumentInformation().getTitle(), pages);
    } catch (InvalidPasswordException e) {
      throw new ExtractionException(ExtractionException.Reason.ENCRYPTED, "pdf: needs a password to open", e);
    } catch (PdfPageStripper.TextLimitReached e) {
      throw DocumentBuilder.tooMuchText(settings.maxChars());
    } catch (IOException | RuntimeException e) {
      throw new ExtractionException(ExtractionException.Reason.MALFORMED,
          "pdf: could not be read (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  private static void addPages(List<List<PdfParagraph>> pages, DocumentBuilder builder) throws ExtractionException {
    PdfHeadings headings = PdfHeadings.of(pages);
    for (int i = 0; i < pages.size(); i++) {
      builder.page(i + 1);
      for (PdfParagraph paragraph : pages.get(i)) {
        int level = headings.level(paragraph);
        if (level > 0) {
          builder.heading(level, paragraph.text());
        } else {
          builder.text(BlockKind.PARAGRAPH, paragraph.text());
        }
      }
    }
  }
}
