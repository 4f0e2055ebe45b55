package dev.cairn.server.search.ingest;

/**
 * Converts UTF-16 indexes of one string to code point indexes, moving from the last answer, so
 * that asking in nearly increasing order (as chunks do, overlap aside) costs linear time overall.
 */
final class CodePointCursor {
  private final String text;
  private int charIndex;
  private int codePointIndex;

  CodePointCursor(String text) {
    this.text = text;
  }

  int codePointAt(int index) {
    if (index >= charIndex) {
      codePointIndex += text.codePointCount(charIndex, index);
    } else {
      codePointIndex -= text.codePointCount(index, charIndex);
    }
    charIndex = index;
    return codePointIndex;
  }
}
