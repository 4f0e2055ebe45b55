package dev.cairn.server.mcp;

/** A tool argument that is missing or of the wrong shape; becomes an error result naming it. */
final class ToolInputException extends RuntimeException {
  private final String field;

  ToolInputException(String field, String message) {
    super(field + ": " + message, null, false, false);
    this.field = field;
  }

  String field() {
    return field;
  }
}
