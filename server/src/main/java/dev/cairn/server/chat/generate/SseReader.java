package dev.cairn.server.chat.generate;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads server-sent events (the WHATWG event-stream format) from a byte stream and yields each
 * event's data: {@code data:} lines (one leading space dropped) joined by newlines, dispatched at
 * a blank line. Comments ({@code :…}) and the other fields ({@code event}, {@code id},
 * {@code retry}) are skipped — an OpenAI-compatible stream names nothing with them. Lines end in
 * LF, CRLF or CR. A line longer than {@code maxLineBytes} fails the stream rather than buffering
 * whatever a misbehaving server sends.
 */
final class SseReader {
  private final PushbackInputStream in;
  private final int maxLineBytes;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  SseReader(InputStream in, int maxLineBytes) {
    this.in = new PushbackInputStream(new BufferedInputStream(in, 8192), 1);
    this.maxLineBytes = maxLineBytes;
  }

  /** The next event's data, or null at the end of the stream (an unfinished event is dropped). */
  @Nullable String next() throws IOException {
    StringBuilder data = null;
    for (String l = readLine(); l != null; l = readLine()) {
      if (l.isEmpty()) {
        if (data != null) {
          return data.toString();
        }
        continue;
      }
      int colon = l.indexOf(':');
      String field = colon < 0 ? l : l.substring(0, colon);
      if (!field.equals("data")) {
        continue; // a comment (empty field name) or a field that carries no data
      }
      String value = colon < 0 ? "" : l.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      if (data == null) {
        data = new StringBuilder(value);
      } else {
        data.append('\n').append(value);
      }
    }
    return null;
  }

  private @Nullable String readLine() throws IOException {
    line.reset();
    while (true) {
      int b = in.read();
      if (b == -1) {
        return line.size() == 0 ? null : decode();
      }
      if (b == '\n') {
        return decode();
      }
      if (b == '\r') {
        int next = in.read();
        if (next != '\n' && next != -1) {
          in.unread(next);
        }
        return decode();
      }
      if (line.size() >= maxLineBytes) {
        throw new IOException("event-stream line longer than " + maxLineBytes + " bytes");
      }
      line.write(b);
    }
  }

  private String decode() {
    return line.toString(StandardCharsets.UTF_8);
  }
}
