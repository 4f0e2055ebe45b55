package dev.cairn.server.search.ingest;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Collects the blocks of one document as a format's reader finds them: normalises their text, keeps
 * the trail of enclosing headings, and stops with {@code TOO_LARGE} as soon as the text outgrows the
 * limit (so a decompression bomb is cut off while it is being read, not after).
 */
final class DocumentBuilder {
  private record Heading(int level, String title) {}

  private final int maxChars;
  private final List<Block> blocks = new ArrayList<>();
  private final Deque<Heading> trail = new ArrayDeque<>();
  private long chars;
  private int page;

  DocumentBuilder(ExtractionSettings settings) {
    this.maxChars = settings.maxChars();
  }

  /** The blocks that follow are on this 1-based page. */
  void page(int page) {
    this.page = page;
  }

  void heading(int level, String raw) throws ExtractionException {
    String title = TextNormalizer.inline(raw);
    if (title.isEmpty()) {
      return;
    }
    while (!trail.isEmpty() && trail.peekLast().level() >= level) {
      trail.removeLast();
    }
    add(new Block(BlockKind.HEADING, level, title, page, path()));
    trail.addLast(new Heading(level, title));
  }

  /** A paragraph, list item or table row: whitespace collapsed. */
  void text(BlockKind kind, String raw) throws ExtractionException {
    String text = TextNormalizer.inline(raw);
    if (!text.isEmpty()) {
      add(new Block(kind, 0, text, page, path()));
    }
  }

  void code(String raw) throws ExtractionException {
    String text = TextNormalizer.preformatted(raw);
    if (!text.isBlank()) {
      add(new Block(BlockKind.CODE, 0, text, page, path()));
    }
  }

  ExtractedDocument build(@Nullable String title, int pages) throws ExtractionException {
    if (blocks.isEmpty()) {
      throw new ExtractionException(ExtractionException.Reason.NO_TEXT,
          pages > 0 ? "no text on any of " + pages + " pages (scanned images are not read)" : "no text");
    }
    String shownTitle = title == null ? null : TextNormalizer.inline(title);
    return new ExtractedDocument(shownTitle == null || shownTitle.isEmpty() ? null : shownTitle, blocks, pages);
  }

  private void add(Block block) throws ExtractionException {
    chars += block.text().length() + ExtractedDocument.BLOCK_SEPARATOR.length();
    if (chars > maxChars) {
      throw tooMuchText(maxChars);
    }
    blocks.add(block);
  }

  static ExtractionException tooMuchText(int maxChars) {
    return new ExtractionException(ExtractionException.Reason.TOO_LARGE,
        "extracted text: more than " + maxChars + " characters (the configured limit)");
  }

  private List<String> path() {
    return trail.stream().map(Heading::title).toList();
  }
}
