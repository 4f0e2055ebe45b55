package dev.cairn.client.cli;

import dev.cairn.vault.v1.DownloadItemResponse;
import dev.cairn.vault.v1.ItemVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Writes a DownloadItem stream to a file or stdout, checking its SHA-256 against the version's.
 * A file is written next to its destination and moved into place only when complete and
 * verified, so an interrupted or corrupt download never leaves a half-written file behind.
 */
final class Downloads {

  /** What was downloaded. */
  record Result(ItemVersion version) {}

  private Downloads() {}

  static Result save(
      Iterator<DownloadItemResponse> stream, @Nullable Path file, OutputStream stdout, LongFunction<Progress> progressFor) {
    if (!stream.hasNext()) {
      throw new IllegalStateException("the server sent no download metadata");
    }
    DownloadItemResponse first = stream.next();
    if (!first.hasMetadata()) {
      throw new IllegalStateException("the server sent content before the download metadata");
    }
    ItemVersion version = first.getMetadata().getVersion();
    if (file == null) {
      copy(stream, stdout, version, progressFor);
      return new Result(version);
    }
    Path dir = file.toAbsolutePath().getParent();
    Path partial = null;
    try {
      partial = Files.createTempFile(dir, "." + file.getFileName() + ".", ".part");
      try (OutputStream out = Files.newOutputStream(partial)) {
        copy(stream, out, version, progressFor);
      }
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      partial = null;
      return new Result(version);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    } finally {
      if (partial != null) {
        try {
          Files.deleteIfExists(partial);
        } catch (IOException ignored) {
          // best effort: the download already failed for a better reason
        }
      }
    }
  }

  private static void copy(
      Iterator<DownloadItemResponse> stream, OutputStream out, ItemVersion version, LongFunction<Progress> progressFor) {
    MessageDigest sha = sha256();
    long received = 0;
    try (Progress progress = progressFor.apply(version.getSizeBytes())) {
      while (stream.hasNext()) {
        DownloadItemResponse message = stream.next();
        if (!message.hasChunk()) {
          throw new IllegalStateException("the server sent a second metadata message");
        }
        byte[] bytes = message.getChunk().toByteArray();
        sha.update(bytes);
        out.write(bytes);
        received += bytes.length;
        progress.advance(bytes.length);
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the download", e);
    }
    if (received != version.getSizeBytes()) {
      throw new IllegalStateException(
          "download incomplete: got " + received + " bytes (expected: " + version.getSizeBytes() + ")");
    }
    byte[] digest = sha.digest();
    if (!version.getContentSha256().isEmpty() && !MessageDigest.isEqual(digest, version.getContentSha256().toByteArray())) {
      throw new IllegalStateException("download corrupt: SHA-256 " + HexFormat.of().formatHex(digest)
          + " (expected: " + HexFormat.of().formatHex(version.getContentSha256().toByteArray()) + ")");
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
