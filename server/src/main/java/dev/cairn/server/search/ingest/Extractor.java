package dev.cairn.server.search.ingest;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;

/**
 * Turns an item's content into an {@link ExtractedDocument}: text/plain, text/markdown, text/html
 * and application/pdf, within the {@link ExtractionSettings} limits. Thread-safe.
 */
public final class Extractor {
  private final ExtractionSettings settings;

  public Extractor(ExtractionSettings settings) {
    this.settings = requireNonNull(settings, "settings");
  }

  /**
   * Reads at most {@code maxInputBytes} (plus one, to know there is more) and extracts them.
   *
   * @throws ExtractionException when the content cannot give text; the reason says why
   * @throws IOException when reading the stream fails (worth a retry, unlike the above)
   */
  public ExtractedDocument extract(String mediaType, InputStream content) throws ExtractionException, IOException {
    MediaType type = MediaType.parse(requireNonNull(mediaType, "mediaType"));
    Format format = Format.of(type);
    byte[] bytes = content.readNBytes((int) settings.maxInputBytes() + 1);
    return extract(type, format, bytes);
  }

  public ExtractedDocument extract(String mediaType, byte[] content) throws ExtractionException {
    MediaType type = MediaType.parse(requireNonNull(mediaType, "mediaType"));
    return extract(type, Format.of(type), requireNonNull(content, "content"));
  }

  private ExtractedDocument extract(MediaType type, Format format, byte[] bytes) throws ExtractionException {
    if (bytes.length > settings.maxInputBytes()) {
      throw new ExtractionException(ExtractionException.Reason.TOO_LARGE,
          "content: more than " + settings.maxInputBytes() + " bytes (the configured limit)");
    }
    DocumentBuilder builder = new DocumentBuilder(settings);
    try {
      return switch (format) {
        case PLAIN -> PlainTextReader.read(bytes, type, builder);
        case MARKDOWN -> MarkdownReader.read(bytes, type, builder);
        case HTML -> HtmlReader.read(bytes, type, builder);
        case PDF -> PdfReader.read(bytes, settings, builder);
      };
    } catch (StackOverflowError e) {
      // a parser recursing on hostile nesting: the stack unwinds to here intact, the item is refused
      throw new ExtractionException(ExtractionException.Reason.MALFORMED, format + ": nested too deeply to read");
    } catch (RuntimeException e) {
      // a parser's own failure on input it did not expect; the cause stays attached for the log
      throw new ExtractionException(ExtractionException.Reason.MALFORMED,
          format + ": could not be read (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  private enum Format {
    PLAIN, MARKDOWN, HTML, PDF;

    static Format of(MediaType type) throws ExtractionException {
      return switch (type.essence()) {
        case "text/plain" -> PLAIN;
        case "text/markdown", "text/x-markdown" -> MARKDOWN;
        case "text/html", "application/xhtml+xml" -> HTML;
        case "application/pdf" -> PDF;
        default -> throw MediaType.unsupported("media type: " + type.essence()
            + " (expected: text/plain, text/markdown, text/html or application/pdf)");
      };
    }
  }
}
