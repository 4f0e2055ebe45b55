package dev.cairn.server.db;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * Where a list's next page starts, as {@link PageTokens} seals it into a token: whatever the
 * list sorts by (a time and an id, a sequence number, a record's sort value and id), written
 * as compact binary so tokens stay well under the 512 characters a request may carry.
 */
@FunctionalInterface
public interface PagePosition {

  void writeTo(Writer out);

  /** Appends big-endian fixed-width numbers and length-prefixed UTF-8 strings. */
  final class Writer {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);

    public Writer putByte(int value) {
      bytes.write(value);
      return this;
    }

    public Writer putInt(int value) {
      for (int shift = 24; shift >= 0; shift -= 8) {
        bytes.write(value >>> shift);
      }
      return this;
    }

    public Writer putLong(long value) {
      putInt((int) (value >>> 32));
      return putInt((int) value);
    }

    public Writer putUuid(UUID value) {
      return putLong(value.getMostSignificantBits()).putLong(value.getLeastSignificantBits());
    }

    public Writer putTime(OffsetDateTime value) {
      Instant t = value.toInstant();
      return putLong(t.getEpochSecond()).putInt(t.getNano());
    }

    public Writer putString(String value) {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      putInt(utf8.length);
      bytes.writeBytes(utf8);
      return this;
    }

    byte[] toByteArray() {
      return bytes.toByteArray();
    }
  }

  /**
   * Reads what a {@link Writer} wrote. Any misfit (too short, a length past the end, a time out
   * of range) throws a RuntimeException, which {@link PageTokens#decode} turns into
   * INVALID_ARGUMENT; it only sees bytes whose MAC has already been checked.
   */
  final class Reader {
    private final ByteBuffer in;

    Reader(byte[] bytes) {
      this.in = ByteBuffer.wrap(bytes);
    }

    public byte getByte() {
      return in.get();
    }

    public int getInt() {
      return in.getInt();
    }

    public long getLong() {
      return in.getLong();
    }

    public UUID getUuid() {
      return new UUID(in.getLong(), in.getLong());
    }

    public OffsetDateTime getTime() {
      long seconds = in.getLong();
      int nanos = in.getInt();
      return OffsetDateTime.ofInstant(Instant.ofEpochSecond(seconds, nanos), ZoneOffset.UTC);
    }

    public String getString() {
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw new IllegalArgumentException("string length " + length + " past the end");
      }
      byte[] utf8 = new byte[length];
      in.get(utf8);
      return new String(utf8, StandardCharsets.UTF_8);
    }

    void requireEnd() {
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " trailing bytes");
      }
    }
  }
}
