package dev.cairn.server.search.ingest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;

/** Real PDFs written with PDFBox for the tests. */
final class Pdfs {
  /** A line of text at a font size; {@code gap} points of space above it. */
  record Line(float size, String text, float gap) {
    static Line heading(float size, String text) {
      return new Line(size, text, 30);
    }

    static Line body(String text) {
      return new Line(11, text, 14);
    }

    /** A body line that starts a paragraph (a blank line's worth of space above it). */
    static Line paragraph(String text) {
      return new Line(11, text, 30);
    }
  }

  private Pdfs() {}

  /** One page per list of lines, Helvetica, from the top of an A4 page down. */
  static byte[] of(List<List<Line>> pages) {
    return write(pages, null, null);
  }

  static byte[] titled(String title, List<List<Line>> pages) {
    return write(pages, title, null);
  }

  static byte[] encrypted(String ownerPassword, String userPassword, List<List<Line>> pages) {
    return write(pages, null, new StandardProtectionPolicy(ownerPassword, userPassword, new AccessPermission()));
  }

  static byte[] imageOnly() {
    try (PDDocument document = new PDDocument()) {
      PDPage page = new PDPage(PDRectangle.A4);
      document.addPage(page);
      BufferedImage scan = new BufferedImage(200, 100, BufferedImage.TYPE_INT_RGB);
      scan.getGraphics().drawString("scanned words are pixels", 10, 50);
      try (PDPageContentStream content = new PDPageContentStream(document, page)) {
        content.drawImage(LosslessFactory.createFromImage(document, scan), 72, 600);
      }
      return bytes(document);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A PDF of this many empty pages: a few hundred kilobytes even for ten thousand. */
  static byte[] blankPages(int count) {
    try (PDDocument document = new PDDocument()) {
      for (int i = 0; i < count; i++) {
        document.addPage(new PDPage(PDRectangle.A4));
      }
      return bytes(document);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] write(List<List<Line>> pages, String title, StandardProtectionPolicy policy) {
    try (PDDocument document = new PDDocument()) {
      PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
      for (List<Line> lines : pages) {
        PDPage page = new PDPage(PDRectangle.A4);
        document.addPage(page);
        try (PDPageContentStream content = new PDPageContentStream(document, page)) {
          content.beginText();
          content.newLineAtOffset(72, 790);
          for (Line line : lines) {
            content.setFont(font, line.size());
            content.newLineAtOffset(0, -line.gap());
            content.showText(line.text());
          }
          content.endText();
        }
      }
      if (title != null) {
        PDDocumentInformation info = new PDDocumentInformation();
        info.setTitle(title);
        document.setDocumentInformation(info);
      }
      if (policy != null) {
        policy.setEncryptionKeyLength(256);
        document.protect(policy);
      }
      return bytes(document);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] bytes(PDDocument document) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    document.save(out);
    return out.toByteArray();
  }
}
