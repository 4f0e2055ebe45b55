package dev.cairn.server.search.ingest;

import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** A parsed media type: {@code type/subtype} in lower case and its charset parameter, if any. */
record MediaType(String essence, @Nullable String charsetName) {

  static MediaType parse(String value) throws ExtractionException {
    String[] parts = value.split(";");
    String essence = parts[0].strip().toLowerCase(Locale.ROOT);
    if (!essence.matches("[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")) {
      throw unsupported("media type: " + quoted(value) + " (expected: type/subtype[; charset=...])");
    }
    String charset = null;
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0 && parts[i].substring(0, eq).strip().equalsIgnoreCase("charset")) {
        charset = parts[i].substring(eq + 1).strip().replace("\"", "");
      }
    }
    return new MediaType(essence, charset == null || charset.isEmpty() ? null : charset);
  }

  /** The charset parameter as a Java charset, if one was given. */
  Optional<Charset> charset() throws ExtractionException {
    if (charsetName == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Charset.forName(charsetName));
    } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
      throw unsupported("charset: " + quoted(charsetName) + " (expected: a charset Java supports)");
    }
  }

  static ExtractionException unsupported(String message) {
    return new ExtractionException(ExtractionException.Reason.UNSUPPORTED_MEDIA_TYPE, message);
  }

  // a media type comes from the uploader: bound what of it reaches a log line
  private static String quoted(String value) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
    return "\"" + shown.replaceAll("\\p{Cntrl}", "?") + "\"";
  }
}
