package dev.cairn.client.cli;

import com.google.protobuf.ByteString;
import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnError;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.ListItemsResponse;
import dev.cairn.vault.v1.UploadItemMetadata;
import dev.cairn.vault.v1.UploadItemResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn ingest <folder>}: uploads every supported file under a folder, then waits for
 * indexing. Resumable: each item carries the label {@code source_path} (the file's path relative
 * to the folder), and a file whose path and SHA-256 match an item the caller already holds is
 * not uploaded again; a changed file (same path, other hash) becomes a new item, so a folder that
 * happens to share relative paths with another never overwrites that one's items. Rate limits
 * (RESOURCE_EXHAUSTED) and UNAVAILABLE are retried with {@link Backoff}, with the same request
 * id so a retried upload that did land is not stored twice.
 */
@Command(name = "ingest", description = {
    "Upload every .txt .md .markdown .html .htm .pdf file under a folder (recursively), then wait for indexing.",
    "Other files are skipped (counted by extension). Rerunning skips files already uploaded (same path and SHA-256)."})
final class IngestCommand extends CommandGroup {
  static final String SOURCE_LABEL = "source_path";
  private static final int MAX_LABEL_VALUE = 255;
  private static final int MAX_DISPLAY_NAME = 200;

  @Parameters(paramLabel = "FOLDER", description = "The folder to upload.")
  Path folder = Path.of(".");

  @Option(names = "--searchable", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Index the documents for search (default on; --no-searchable just uploads).")
  boolean searchable;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label for every document; repeat for more.")
  @Nullable List<String> labels;

  @Option(names = "--wait", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Wait until every document is indexed or failed (default on).")
  boolean wait;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m", converter = DurationConverter.class,
      description = "Give up waiting for indexing after this long, e.g. 90s, 10m (default ${DEFAULT-VALUE}).")
  Duration timeout = Duration.ofMinutes(30);

  @Option(names = {"-q", "--quiet"}, description = "No progress bars.") boolean quiet;

  /** Tests swap in a recording sleeper. */
  Backoff backoff = Backoff.defaults();
  Backoff.Sleeper pollSleeper = d -> Thread.sleep(d);

  @Override
  public Integer call() {
    if (!Files.isDirectory(folder) || !Files.isReadable(folder)) {
      throw usage("FOLDER: " + folder + " (expected: a readable folder)");
    }
    Map<String, String> common = labels("--label", labels);
    if (common.containsKey(SOURCE_LABEL)) {
      throw usage("--label: " + SOURCE_LABEL + " is set by ingest itself (the file's path in the folder)");
    }
    boolean[] incomplete = {false};
    int exit = cli.call((client, output) -> incomplete[0] = !run(client, output.out(), common));
    return exit == CairnCli.OK && incomplete[0] ? CairnCli.SERVER_ERROR : exit;
  }

  /** True when everything was uploaded and (if waited for) indexed. */
  private boolean run(CairnClient client, PrintWriter out, Map<String, String> common) {
    PrintWriter err = cli.err();
    String cr = cli.errIsTerminal() && !quiet ? "\r" : ""; // a note over a drawn bar starts at the line's start
    FolderScan.Result scan = FolderScan.scan(folder);
    if (scan.skippedCount() > 0) {
      err.println("skipping " + scan.skippedCount() + " file(s) of types search does not extract: " + scan.skippedText());
    }
    if (scan.links() > 0) {
      err.println("skipping " + scan.links() + " symbolic link(s)");
    }
    Map<String, Item> existing = existing(client);
    Map<String, String> toWatch = new LinkedHashMap<>(); // item name → relative path
    List<String> failed = new ArrayList<>();
    int uploaded = 0;
    int already = 0;
    long bytes = 0;
    try (Progress bar = Progress.counting(cli.errIsTerminal(), quiet, err, "upload", scan.files().size())) {
      for (FolderScan.Source file : scan.files()) {
        try {
          byte[] sha = Uploads.sha256(file.path());
          String sourceLabel = sourceLabel(file.relative());
          Item done = existing.get(key(sourceLabel, sha));
          if (done != null) {
            already++;
            if (done.getSearchable()) {
              toWatch.put(done.getName(), file.relative());
            }
          } else {
            Item item = upload(client, file, sourceLabel, sha, common, err, cr);
            uploaded++;
            bytes += item.getSizeBytes();
            if (searchable) {
              toWatch.put(item.getName(), file.relative());
            }
          }
        } catch (StatusRuntimeException e) {
          if (!perFile(e)) {
            throw e;
          }
          failed.add(file.relative());
          err.println(cr + "failed: " + file.relative() + ": " + CairnError.describe(e));
        } catch (UncheckedIOException e) {
          failed.add(file.relative());
          err.println(cr + "failed: " + file.relative() + ": " + e.getMessage());
        }
        bar.advance(1);
      }
    }
    out.println("uploaded " + uploaded + " file(s) (" + Progress.bytes(bytes) + "), " + already
        + " already uploaded (same path and SHA-256), " + failed.size() + " failed, " + scan.skippedCount() + " skipped");
    out.flush();
    boolean ok = failed.isEmpty();
    if (wait && !toWatch.isEmpty()) {
      ok &= awaitIndexing(client, out, toWatch);
    }
    return ok;
  }

  private boolean awaitIndexing(CairnClient client, PrintWriter out, Map<String, String> items) {
    var waiter = new IndexWaiter(SearchServiceGrpc.newBlockingStub(client.channel()), pollSleeper, System::nanoTime);
    IndexWaiter.Outcome outcome;
    try (Progress bar = Progress.counting(cli.errIsTerminal(), quiet, cli.err(), "index ", items.size())) {
      outcome = waiter.await(items, timeout, bar);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for indexing", e);
    }
    out.println("indexed " + outcome.indexed() + ", failed " + outcome.failures().size() + ", still pending "
        + outcome.pending().size());
    for (IndexWaiter.Failure f : outcome.failures()) {
      String why = f.state() == dev.cairn.search.v1.ItemIndexStatus.State.STATE_FAILED
          ? Output.orDash(Snippets.safe(f.reason())) : "not indexed (no longer searchable, or deleted)";
      out.println("  index failed: " + f.label() + " (" + f.item() + "): " + why);
    }
    if (!outcome.pending().isEmpty()) {
      cli.err().println("error: gave up waiting after " + timeout.toSeconds() + " s; still pending: "
          + String.join(", ", outcome.pending().subList(0, Math.min(10, outcome.pending().size())))
          + (outcome.pending().size() > 10 ? ", …" : ""));
    }
    return outcome.failures().isEmpty() && outcome.pending().isEmpty();
  }

  private Item upload(CairnClient client, FolderScan.Source file, String sourceLabel, byte[] sha,
      Map<String, String> common, PrintWriter err, String cr) {
    Item.Builder item = Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT)
        .setDisplayName(displayName(file.path().getFileName().toString()))
        .setMediaType(file.mediaType())
        .putAllLabels(common)
        .putLabels(SOURCE_LABEL, sourceLabel)
        .setSearchable(searchable);
    UploadItemMetadata metadata = UploadItemMetadata.newBuilder()
        .setItem(item)
        .setRequestId(UUID.randomUUID().toString()) // one per file: the retries below reuse it
        .setSizeBytes(size(file.path()))
        .setContentSha256(ByteString.copyFrom(sha))
        .build();
    UploadItemResponse response = backoff.call(
        () -> Uploads.upload(client, metadata, file.path(), Progress.NONE),
        retry -> err.println(cr + file.relative() + ": " + retry.describe()));
    return response.getItem();
  }

  /** The caller's items from earlier ingests, by source path and content hash. */
  private Map<String, Item> existing(CairnClient client) {
    Map<String, Item> byKey = new HashMap<>();
    allPages(token -> backoff.call(() -> client.vault().listItems(ListItemsRequest.newBuilder()
            .setPageSize(1000).setPageToken(token).addLabels(SOURCE_LABEL).build()), retry -> {}),
        (ListItemsResponse page) -> page.getItemsList().forEach(i ->
            byKey.putIfAbsent(key(i.getLabelsOrDefault(SOURCE_LABEL, ""), i.getContentSha256().toByteArray()), i)),
        ListItemsResponse::getNextPageToken);
    return byKey;
  }

  /** A failure that concerns one file (bad input, a limit that waiting does not lift): report it and go on. */
  private static boolean perFile(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    return code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION
        || (code == Status.Code.RESOURCE_EXHAUSTED && "max_item_bytes".equals(CairnError.from(e).metadata().get("limit")));
  }

  private static String key(String sourceLabel, byte[] sha) {
    return sourceLabel + "\n" + HexFormat.of().formatHex(sha);
  }

  /** The relative path, or for one too long for a label value, {@code sha256:} and its hash. */
  static String sourceLabel(String relative) {
    if (relative.length() <= MAX_LABEL_VALUE) {
      return relative;
    }
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(relative.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String displayName(String name) {
    if (name.length() <= MAX_DISPLAY_NAME) {
      return name;
    }
    int cut = name.offsetByCodePoints(0, name.codePointCount(0, MAX_DISPLAY_NAME - 1));
    return name.substring(0, cut) + "…";
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
