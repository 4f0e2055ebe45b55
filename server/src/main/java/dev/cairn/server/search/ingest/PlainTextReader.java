package dev.cairn.server.search.ingest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** text/plain: decoded with the charset parameter (UTF-8 if none), paragraphs split on blank lines. */
final class PlainTextReader {
  private static final Pattern BLANK_LINES = Pattern.compile("\n[ \\t\\u000B\\f]*\n\\s*");

  private PlainTextReader() {}

  static ExtractedDocument read(byte[] bytes, MediaType type, DocumentBuilder builder) throws ExtractionException {
    String text = TextNormalizer.clean(decode(bytes, type.charset().orElse(StandardCharsets.UTF_8)));
    for (String paragraph : BLANK_LINES.split(text)) {
      builder.text(BlockKind.PARAGRAPH, paragraph);
    }
    return builder.build(null, 0);
  }

  /** Decodes leniently: a byte that is not valid in the charset becomes U+FFFD, not a failure. */
  static String decode(byte[] bytes, Charset charset) {
    try {
      CharBuffer chars = charset.newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE)
          .decode(ByteBuffer.wrap(bytes));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new AssertionError("a replacing decoder does not fail", e);
    }
  }
}
