package dev.cairn.server.search.ingest;

import static java.util.Objects.requireNonNull;

/**
 * Why an item's content yields nothing to index. Every reason is a property of the bytes (the same
 * bytes fail the same way again), so the job records it and does not retry; an {@link
 * java.io.IOException} from reading the content, by contrast, is worth a retry. Messages name the
 * limit or the kind of damage, never the document's content.
 */
public final class ExtractionException extends Exception {
  /** What went wrong, for the job's outcome. */
  public enum Reason {
    /** A media type (or charset) the extractor does not read. */
    UNSUPPORTED_MEDIA_TYPE,
    /** The bytes are not a well-formed document of their type. */
    MALFORMED,
    /** The document needs a password. */
    ENCRYPTED,
    /** Over a configured limit: input bytes, extracted characters, pages or chunks. */
    TOO_LARGE,
    /** A readable document without any text (an empty file, an image-only PDF). */
    NO_TEXT
  }

  private final Reason reason;

  public ExtractionException(Reason reason, String message) {
    super(message);
    this.reason = requireNonNull(reason, "reason");
  }

  public ExtractionException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
