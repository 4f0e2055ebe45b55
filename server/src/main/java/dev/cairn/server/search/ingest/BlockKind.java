package dev.cairn.server.search.ingest;

/** What a block of extracted text was in its source document. */
public enum BlockKind {
  HEADING,
  PARAGRAPH,
  LIST_ITEM,
  /** Preformatted text: line breaks and indentation are kept. */
  CODE,
  /** One table row, its cells joined by {@code " | "}. */
  TABLE_ROW
}
