package dev.cairn.server.search.ingest;

/** A paragraph as PDFBox laid it out: its text and the mean font size of its characters, in points. */
record PdfParagraph(String text, float fontSize, int lines) {}
