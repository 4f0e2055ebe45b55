package dev.cairn.server.search.ingest;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The text of an item as ordered blocks. Its {@linkplain #text() canonical text} is what chunk
 * offsets, snippets and citations point into.
 *
 * @param title the document's own title (HTML {@code <title>}, PDF document information), if any;
 *     metadata only, not part of the canonical text
 * @param pages the number of pages, 0 when the format has no pages
 */
public record ExtractedDocument(@Nullable String title, List<Block> blocks, int pages) {
  /** Between two blocks in the canonical text. */
  public static final String BLOCK_SEPARATOR = "\n\n";

  public ExtractedDocument {
    blocks = List.copyOf(requireNonNull(blocks, "blocks"));
  }

  /** The blocks' texts joined by {@link #BLOCK_SEPARATOR}, in order. */
  public String text() {
    StringBuilder text = new StringBuilder();
    for (Block block : blocks) {
      if (!text.isEmpty()) {
        text.append(BLOCK_SEPARATOR);
      }
      text.append(block.text());
    }
    return text.toString();
  }
}
