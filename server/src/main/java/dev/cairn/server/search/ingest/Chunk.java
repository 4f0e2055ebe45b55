package dev.cairn.server.search.ingest;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A piece of an item to index and cite: {@code text} is exactly the code points {@code
 * [start, end)} of the document's canonical text ({@link ExtractedDocument#text()}).
 *
 * @param ordinal 0, 1, 2… in document order
 * @param page the page the chunk is on (a chunk never spans pages), 0 when the format has none
 * @param headingPath the titles of the sections the chunk is in, outermost first
 * @param start the first code point, counted from the start of the canonical text
 * @param end one past the last code point
 * @param tokens the text's token count
 * @param leadingHeadings how many of the path's last titles open the text itself (a section's first
 *     chunk), so that the embedding text does not say them twice
 */
public record Chunk(int ordinal, String text, int page, List<String> headingPath, int start, int end, int tokens,
    int leadingHeadings) {
  public Chunk {
    requireNonNull(text, "text");
    headingPath = List.copyOf(headingPath);
    if (leadingHeadings < 0 || leadingHeadings > headingPath.size()) {
      throw new IllegalArgumentException(
          "leadingHeadings: " + leadingHeadings + " (expected: 0.." + headingPath.size() + ")");
    }
  }

  /** What the embedding model reads: the enclosing headings not already in the text, then the text. */
  public String embeddingText() {
    List<String> context = headingPath.subList(0, headingPath.size() - leadingHeadings);
    return context.isEmpty() ? text : String.join(" > ", context) + "\n\n" + text;
  }
}
