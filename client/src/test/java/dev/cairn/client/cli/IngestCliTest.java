package dev.cairn.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What ingest picks from a folder and what it refuses before calling anyone; uploads and resume are in SearchCliEndToEndTest. */
class IngestCliTest {
  @TempDir Path dir;
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    ClientFactory factory = settings -> {
      throw new AssertionError("no server call expected");
    };
    return new CairnCli(factory, new PrintWriter(new StringWriter()), new PrintWriter(err), Map.of(), Clock.systemUTC())
        .execute(args);
  }

  @Test
  void scanPicksSupportedFilesRecursivelyInPathOrderAndCountsTheRestByExtension() throws Exception {
    Files.createDirectories(dir.resolve("b/deeper"));
    Files.writeString(dir.resolve("b/deeper/notes.MD"), "x");
    Files.writeString(dir.resolve("a.txt"), "x");
    Files.writeString(dir.resolve("page.htm"), "x");
    Files.writeString(dir.resolve("paper.pdf"), "x");
    Files.writeString(dir.resolve("photo.png"), "x");
    Files.writeString(dir.resolve("Makefile"), "x");
    Files.createSymbolicLink(dir.resolve("link.txt"), dir.resolve("a.txt"));

    FolderScan.Result scan = FolderScan.scan(dir);

    assertThat(scan.files()).extracting(FolderScan.Source::relative, FolderScan.Source::mediaType).containsExactly(
        org.assertj.core.groups.Tuple.tuple("a.txt", "text/plain"),
        org.assertj.core.groups.Tuple.tuple("b/deeper/notes.MD", "text/markdown"),
        org.assertj.core.groups.Tuple.tuple("page.htm", "text/html"),
        org.assertj.core.groups.Tuple.tuple("paper.pdf", "application/pdf"));
    assertThat(scan.skippedText()).isEqualTo("(no extension) ×1, .png ×1");
    assertThat(scan.links()).isEqualTo(1);
  }

  @Test
  void aPathTooLongForALabelValueIsKeptAsItsHash() {
    String longPath = "d/".repeat(200) + "f.txt";

    assertThat(IngestCommand.sourceLabel("notes/a.md")).isEqualTo("notes/a.md");
    assertThat(IngestCommand.sourceLabel(longPath)).startsWith("sha256:").hasSize(7 + 64)
        .isEqualTo(IngestCommand.sourceLabel(longPath));
  }

  @Test
  void aMissingFolderOrASourcePathLabelIsAUsageError() {
    assertThat(run("ingest", dir.resolve("nope").toString())).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("expected: a readable folder");

    assertThat(run("ingest", dir.toString(), "--label", "source_path=x")).isEqualTo(CairnCli.USAGE);
    assertThat(err.toString()).contains("source_path is set by ingest itself");
  }

  @Test
  void aCountingBarShowsThingsDoneOfTotal() {
    var out = new StringWriter();
    long[] now = {0};
    var bar = new Progress(new PrintWriter(out), "index ", 4, () -> now[0], true);
    now[0] = 2_000_000_000L;
    bar.set(3);

    assertThat(bar.line(now[0])).isEqualTo("index  [##################      ] 3 / 4  75% 1.5/s");
  }
}
