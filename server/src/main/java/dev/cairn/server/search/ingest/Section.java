package dev.cairn.server.search.ingest;

import java.util.ArrayList;
import java.util.List;

/**
 * A run of blocks that chunks never cross: the blocks under one heading on one page. Headings that
 * follow each other directly open one section together (a title and its first subtitle).
 *
 * @param offsets each block's first character in the canonical text
 */
record Section(List<Block> blocks, List<Integer> offsets, int page, List<String> headingPath) {

  static List<Section> of(ExtractedDocument document) {
    List<Section> sections = new ArrayList<>();
    List<Block> blocks = new ArrayList<>();
    List<Integer> offsets = new ArrayList<>();
    int offset = 0;
    boolean hasContent = false;
    for (Block block : document.blocks()) {
      if (!blocks.isEmpty() && (block.page() != blocks.getFirst().page()
          || block.kind() == BlockKind.HEADING && hasContent)) {
        sections.add(section(blocks, offsets));
        blocks = new ArrayList<>();
        offsets = new ArrayList<>();
        hasContent = false;
      }
      hasContent |= block.kind() != BlockKind.HEADING;
      blocks.add(block);
      offsets.add(offset);
      offset += block.text().length() + ExtractedDocument.BLOCK_SEPARATOR.length();
    }
    if (!blocks.isEmpty()) {
      sections.add(section(blocks, offsets));
    }
    return sections;
  }

  private static Section section(List<Block> blocks, List<Integer> offsets) {
    Block last = blocks.getLast();
    List<String> path = blocks.stream().filter(b -> b.kind() != BlockKind.HEADING).findFirst()
        .map(Block::headingPath)
        .orElseGet(() -> append(last.headingPath(), last.text()));
    return new Section(List.copyOf(blocks), List.copyOf(offsets), blocks.getFirst().page(), path);
  }

  /**
   * How many of the path's last titles are headings that open the chunk of units [from, end): the
   * headings still in force at the section's content (a heading overridden by the next is not).
   */
  int leadingHeadings(List<Unit> units, int from, int end) {
    List<Block> opening = new ArrayList<>();
    for (int i = from; i < end && units.get(i).heading() != null; i++) {
      opening.add(units.get(i).heading());
    }
    int matched = 0;
    int depth = headingPath.size() - 1;
    for (int h = opening.size() - 1; h >= 0 && depth >= 0; h--) {
      Block heading = opening.get(h);
      if (heading.headingPath().size() == depth && heading.text().equals(headingPath.get(depth))) {
        matched++;
        depth--;
      }
    }
    return matched;
  }

  private static List<String> append(List<String> path, String title) {
    List<String> longer = new ArrayList<>(path);
    longer.add(title);
    return longer;
  }
}
