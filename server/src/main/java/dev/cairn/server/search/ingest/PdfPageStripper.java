package dev.cairn.server.search.ingest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;

/**
 * PDFTextStripper that, instead of writing one string, keeps each page's paragraphs with their font
 * sizes (so headings can be told from body text). A paragraph is what PDFBox's paragraph detection
 * (line spacing, indentation) says, further split where the font size changes between lines.
 */
final class PdfPageStripper extends PDFTextStripper {
  /** Thrown from inside the stripper when the text outgrows the limit: stops a decompression bomb early. */
  static final class TextLimitReached extends IOException {
    TextLimitReached() {
      super("extracted text over the limit");
    }
  }

  private static final float SIZE_CHANGE = 0.15f;

  private final long maxChars;
  private final List<List<PdfParagraph>> pages = new ArrayList<>();
  private List<PdfParagraph> page = new ArrayList<>();
  private final StringBuilder line = new StringBuilder();
  private final StringBuilder paragraph = new StringBuilder();
  private double lineSizes;
  private int lineChars;
  private double paragraphSizes;
  private int paragraphChars;
  private int paragraphLines;
  private long chars;

  PdfPageStripper(int pageCount, int maxChars) {
    this.maxChars = maxChars;
    for (int i = 0; i < pageCount; i++) {
      pages.add(new ArrayList<>());
    }
  }

  /** Each page's paragraphs, page 1 first; pages without text have none. */
  List<List<PdfParagraph>> pages() {
    return pages;
  }

  @Override
  protected void startPage(PDPage pdPage) throws IOException {
    page = pages.get(getCurrentPageNo() - 1);
    super.startPage(pdPage);
  }

  @Override
  protected void endPage(PDPage pdPage) throws IOException {
    endParagraph();
    super.endPage(pdPage);
  }

  @Override
  protected void writeString(String text, List<TextPosition> positions) throws IOException {
    chars += text.length();
    if (chars > maxChars) {
      throw new TextLimitReached();
    }
    line.append(text);
    for (TextPosition position : positions) {
      lineSizes += position.getFontSizeInPt();
      lineChars++;
    }
  }

  @Override
  protected void writeWordSeparator() {
    line.append(' ');
  }

  @Override
  protected void writeLineSeparator() {
    endLine();
  }

  @Override
  protected void writeParagraphStart() {
    endParagraph();
  }

  @Override
  protected void writeParagraphEnd() {
    endParagraph();
  }

  @Override
  protected void writeParagraphSeparator() {
    endParagraph();
  }

  @Override
  protected void writePageStart() {}

  @Override
  protected void writePageEnd() {}

  private void endLine() {
    if (line.isEmpty()) {
      return;
    }
    if (paragraphChars > 0 && lineChars > 0) {
      double before = paragraphSizes / paragraphChars;
      double now = lineSizes / lineChars;
      if (Math.abs(now - before) > SIZE_CHANGE * before) {
        endParagraph0();
      }
    }
    if (!paragraph.isEmpty()) {
      paragraph.append('\n');
    }
    paragraph.append(line);
    paragraphSizes += lineSizes;
    paragraphChars += lineChars;
    paragraphLines++;
    line.setLength(0);
    lineSizes = 0;
    lineChars = 0;
  }

  private void endParagraph() {
    endLine();
    endParagraph0();
  }

  private void endParagraph0() {
    if (!paragraph.toString().isBlank()) {
      float size = paragraphChars == 0 ? 0 : (float) (paragraphSizes / paragraphChars);
      page.add(new PdfParagraph(paragraph.toString(), size, paragraphLines));
    }
    paragraph.setLength(0);
    paragraphSizes = 0;
    paragraphChars = 0;
    paragraphLines = 0;
  }
}
