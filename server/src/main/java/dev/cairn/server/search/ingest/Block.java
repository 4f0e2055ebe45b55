package dev.cairn.server.search.ingest;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One normalised piece of a document's text.
 *
 * @param level the heading level 1..6 for a {@link BlockKind#HEADING}, 0 for the other kinds
 * @param page the 1-based page the block is on, 0 when the format has no pages
 * @param headingPath the titles of the sections enclosing the block, outermost first (for a heading:
 *     its enclosing sections, not itself)
 */
public record Block(BlockKind kind, int level, String text, int page, List<String> headingPath) {
  public Block {
    requireNonNull(kind, "kind");
    requireNonNull(text, "text");
    headingPath = List.copyOf(headingPath);
    if (text.isEmpty()) {
      throw new IllegalArgumentException("text: empty (expected: at least one character)");
    }
    if (kind == BlockKind.HEADING ? level < 1 || level > 6 : level != 0) {
      throw new IllegalArgumentException("level: " + level + " (expected: 1..6 for a heading, 0 otherwise)");
    }
    if (page < 0) {
      throw new IllegalArgumentException("page: " + page + " (expected: 0 or more)");
    }
  }
}
