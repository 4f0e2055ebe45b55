package dev.cairn.server.search.ingest;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Tells headings from body text in a PDF by font size, which is all most PDFs say about structure:
 * the body size is the size most characters have; a short paragraph set clearly larger is a
 * heading, the largest such size level 1, the next level 2, and so on.
 */
final class PdfHeadings {
  private static final float LARGER = 1.15f;
  private static final int MAX_HEADING_CHARS = 200;
  private static final int MAX_HEADING_LINES = 3;

  private final float bodySize;
  private final List<Float> headingSizes;

  private PdfHeadings(float bodySize, List<Float> headingSizes) {
    this.bodySize = bodySize;
    this.headingSizes = headingSizes;
  }

  static PdfHeadings of(List<List<PdfParagraph>> pages) {
    Map<Float, Long> charsBySize = new HashMap<>();
    for (List<PdfParagraph> page : pages) {
      for (PdfParagraph paragraph : page) {
        charsBySize.merge(rounded(paragraph.fontSize()), (long) paragraph.text().length(), Long::sum);
      }
    }
    float body = charsBySize.entrySet().stream()
        .max(Map.Entry.<Float, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
        .map(Map.Entry::getKey).orElse(0f);
    TreeSet<Float> larger = new TreeSet<>();
    for (List<PdfParagraph> page : pages) {
      for (PdfParagraph paragraph : page) {
        if (isHeadingShaped(paragraph, body)) {
          larger.add(rounded(paragraph.fontSize()));
        }
      }
    }
    return new PdfHeadings(body, List.copyOf(larger.descendingSet()));
  }

  /** The heading level 1..6 of a paragraph, or 0 for body text. */
  int level(PdfParagraph paragraph) {
    if (!isHeadingShaped(paragraph, bodySize)) {
      return 0;
    }
    return Math.min(6, headingSizes.indexOf(rounded(paragraph.fontSize())) + 1);
  }

  private static boolean isHeadingShaped(PdfParagraph paragraph, float body) {
    return body > 0
        && paragraph.fontSize() >= body * LARGER
        && paragraph.lines() <= MAX_HEADING_LINES
        && paragraph.text().strip().length() <= MAX_HEADING_CHARS;
  }

  /** Sizes to the half point, so that 11.98 and 12.0 are one size. */
  private static float rounded(float size) {
    return Math.round(size * 2) / 2f;
  }
}
