package dev.cairn.client.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The files {@code cairn ingest} uploads: every regular file under a folder (recursively, in path
 * order, symbolic links not followed) whose extension names a format the server extracts for
 * search. Other files are skipped and counted by extension: uploaded as
 * {@code application/octet-stream} they would only fail indexing.
 */
final class FolderScan {
  /** The formats Search extracts (server search.ingest), by lower-case extension. */
  static final Map<String, String> MEDIA_TYPES = Map.of(
      "txt", "text/plain",
      "text", "text/plain",
      "md", "text/markdown",
      "markdown", "text/markdown",
      "html", "text/html",
      "htm", "text/html",
      "pdf", "application/pdf");

  /** A file to upload, with its path relative to the folder (always {@code /}-separated). */
  record Source(Path path, String relative, String mediaType) {}

  /** What a scan found: the files to upload and, per extension, how many were skipped. */
  record Result(List<Source> files, Map<String, Integer> skipped, int links) {
    int skippedCount() {
      return skipped.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** {@code .png ×3, (none) ×1}. */
    String skippedText() {
      List<String> parts = new ArrayList<>();
      skipped.forEach((ext, n) -> parts.add((ext.isEmpty() ? "(no extension)" : "." + ext) + " ×" + n));
      return String.join(", ", parts);
    }
  }

  private FolderScan() {}

  static Result scan(Path folder) {
    List<Source> files = new ArrayList<>();
    Map<String, Integer> skipped = new TreeMap<>();
    int links = 0;
    List<Path> all;
    try (Stream<Path> walk = Files.walk(folder, new FileVisitOption[0])) {
      all = walk.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the folder " + folder, e);
    }
    for (Path path : all) {
      if (Files.isSymbolicLink(path)) {
        links++;
        continue;
      }
      if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      String ext = extension(path);
      Optional<String> type = Optional.ofNullable(MEDIA_TYPES.get(ext));
      if (type.isEmpty()) {
        skipped.merge(ext, 1, Integer::sum);
        continue;
      }
      String relative = folder.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
      files.add(new Source(path, relative, type.get()));
    }
    return new Result(List.copyOf(files), skipped, links);
  }

  static String extension(Path path) {
    String name = path.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot <= 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }
}
