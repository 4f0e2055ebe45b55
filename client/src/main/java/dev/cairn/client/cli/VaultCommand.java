package dev.cairn.client.cli;

import com.google.protobuf.ByteString;
import dev.cairn.vault.v1.DeleteItemRequest;
import dev.cairn.vault.v1.DeleteItemResponse;
import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.DownloadItemResponse;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemVersion;
import dev.cairn.vault.v1.ListItemVersionsRequest;
import dev.cairn.vault.v1.ListItemVersionsResponse;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.ListItemsResponse;
import dev.cairn.vault.v1.UploadItemMetadata;
import dev.cairn.vault.v1.UploadItemResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn vault …}: the caller's documents. */
@Command(name = "vault", description = "Store, fetch, list and delete documents in your vault.")
final class VaultCommand extends CommandGroup {

  @Command(name = "put", description = "Upload a file as a new document (streamed in 1 MiB chunks).")
  int put(
      @Parameters(paramLabel = "FILE", description = "The file to upload.") Path file,
      @Option(names = "--name", paramLabel = "NAME", description = "Display name (default: the file's name).")
          @Nullable String name,
      @Option(names = "--media-type", paramLabel = "TYPE",
          description = "e.g. application/pdf (default: guessed from the file, else application/octet-stream).")
          @Nullable String mediaType,
      @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label; repeat for more.")
          @Nullable List<String> labels,
      @Option(names = "--searchable", description = "Index the document for search.") boolean searchable,
      @Option(names = "--request-id", paramLabel = "UUID",
          description = "Makes the upload idempotent: rerun with the same id and the server keeps one item"
              + " (default: a fresh id).") @Nullable UUID requestId,
      @Option(names = {"-q", "--quiet"}, description = "No progress bar.") boolean quiet) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw usage("FILE: " + file + " (expected: a readable file)");
    }
    Item.Builder item = Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT)
        .setDisplayName(name != null ? name : file.getFileName().toString())
        .setMediaType(mediaType != null ? mediaType : guessMediaType(file))
        .putAllLabels(labels("--label", labels))
        .setSearchable(searchable);
    return cli.call((client, output) -> {
      long size = size(file);
      UploadItemMetadata metadata = UploadItemMetadata.newBuilder()
          .setItem(item)
          .setRequestId((requestId != null ? requestId : UUID.randomUUID()).toString())
          .setSizeBytes(size)
          .setContentSha256(ByteString.copyFrom(Uploads.sha256(file)))
          .build();
      UploadItemResponse response;
      try (Progress progress = Progress.of(cli.errIsTerminal(), quiet, cli.err(), "upload", size)) {
        response = Uploads.upload(client, metadata, file, progress);
      }
      output.print(response, text -> printItem(output, response.getItem()));
    });
  }

  @Command(name = "get", description = "Download a document to a file or to stdout.")
  int get(
      @Parameters(paramLabel = "ITEM", description = "The item's id or items/{id}.") String item,
      @Option(names = {"-O", "--out-file"}, paramLabel = "FILE",
          description = "Write here (default: stdout). -O, as in wget: -o is the global output format.")
          @Nullable Path file,
      @Option(names = "--version", paramLabel = "N", description = "A past version (default: current).")
          long version,
      @Option(names = {"-q", "--quiet"}, description = "No progress bar.") boolean quiet) {
    if (version < 0) {
      throw usage("--version: " + version + " (expected: 1 or more)");
    }
    return cli.call((client, output) -> {
      Iterator<DownloadItemResponse> stream = client.vault().downloadItem(
          DownloadItemRequest.newBuilder().setName(named("items", item)).setVersion(version).build());
      Downloads.Result result = Downloads.save(stream, file, cli.stdout(),
          total -> Progress.of(cli.errIsTerminal(), quiet, cli.err(), "download", total));
      if (file != null) {
        ItemVersion v = result.version();
        cli.err().println("saved " + Progress.bytes(v.getSizeBytes()) + " of " + v.getName() + " to " + file);
      }
    });
  }

  @Command(name = "ls", aliases = "list", description = "List your documents and records, newest first.")
  int list(
      @Option(names = "--label", paramLabel = "KEY[=VALUE]",
          description = "Only items with this label (any value without =); repeat: all of them.")
          @Nullable List<String> labels,
      @Option(names = "--shared-with-me", description = "Items others shared with you, instead of yours.")
          boolean sharedWithMe,
      @Option(names = {"-a", "--all"}, description = "Include deleted items not yet purged.") boolean all) {
    return cli.call((client, output) -> {
      ListItemsResponse.Builder everything = ListItemsResponse.newBuilder();
      allPages(pageToken -> {
        ListItemsRequest.Builder request = ListItemsRequest.newBuilder()
            .setPageSize(1000)
            .setPageToken(pageToken)
            .setSharedWithMe(sharedWithMe)
            .setShowDeleted(all);
        if (labels != null) {
          request.addAllLabels(labels);
        }
        return client.vault().listItems(request.build());
      }, page -> everything.addAllItems(page.getItemsList()), ListItemsResponse::getNextPageToken);
      output.print(everything, text -> {
        List<List<String>> rows = new ArrayList<>();
        for (Item i : everything.getItemsList()) {
          rows.add(List.of(
              lastSegment(i.getName()),
              Output.orDash(i.getDisplayName()),
              i.getKind() == Item.Kind.KIND_RECORD ? "record" : Output.orDash(i.getMediaType()),
              Progress.bytes(i.getSizeBytes()),
              Long.toString(i.getVersion()),
              labelText(i.getLabelsMap()),
              Output.time(i.hasUpdateTime(), i.getUpdateTime()),
              sharedWithMe ? Output.orDash(i.getOwner()) : state(i)));
        }
        output.table(List.of("ID", "NAME", "TYPE", "SIZE", "VERSION", "LABELS", "UPDATED",
            sharedWithMe ? "OWNER" : "STATE"), rows);
      });
    });
  }

  @Command(name = "rm", aliases = "delete", description = "Delete an item (restorable until it is purged).")
  int remove(@Parameters(paramLabel = "ITEM", description = "The item's id or items/{id}.") String item) {
    return cli.call((client, output) -> {
      DeleteItemResponse response =
          client.vault().deleteItem(DeleteItemRequest.newBuilder().setName(named("items", item)).build());
      Item deleted = response.getItem();
      output.print(response, text -> text.println("deleted " + deleted.getName()
          + (deleted.hasPurgeTime() ? " (purged after " + Output.time(true, deleted.getPurgeTime()) + ")" : "")));
    });
  }

  @Command(name = "versions", description = "List an item's versions, newest first.")
  int versions(@Parameters(paramLabel = "ITEM", description = "The item's id or items/{id}.") String item) {
    return cli.call((client, output) -> {
      ListItemVersionsResponse.Builder everything = ListItemVersionsResponse.newBuilder();
      allPages(pageToken -> {
        return client.vault().listItemVersions(ListItemVersionsRequest.newBuilder()
            .setParent(named("items", item)).setPageSize(1000).setPageToken(pageToken).build());
      }, page -> everything.addAllItemVersions(page.getItemVersionsList()), ListItemVersionsResponse::getNextPageToken);
      output.print(everything, text -> {
        List<List<String>> rows = new ArrayList<>();
        for (ItemVersion v : everything.getItemVersionsList()) {
          rows.add(List.of(
              Long.toString(v.getVersion()),
              Progress.bytes(v.getSizeBytes()),
              Output.orDash(v.getMediaType()),
              shortHash(v.getContentSha256()),
              Output.orDash(v.getAuthor()),
              Output.time(v.hasCreateTime(), v.getCreateTime())));
        }
        output.table(List.of("VERSION", "SIZE", "MEDIA TYPE", "SHA-256", "AUTHOR", "CREATED"), rows);
      });
    });
  }

  static void printItem(Output output, Item item) {
    output.fields(
        "name", item.getName(),
        "display name", Output.orDash(item.getDisplayName()),
        "media type", Output.orDash(item.getMediaType()),
        "size", Progress.bytes(item.getSizeBytes()),
        "version", Long.toString(item.getVersion()),
        "sha-256", item.getContentSha256().isEmpty() ? "-" : HexFormat.of().formatHex(item.getContentSha256().toByteArray()),
        "labels", labelText(item.getLabelsMap()),
        "searchable", Boolean.toString(item.getSearchable()),
        "etag", Output.orDash(item.getEtag()));
  }

  private static String state(Item item) {
    return item.getState() == Item.State.STATE_DELETED ? "deleted" : "active";
  }

  static String labelText(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return "-";
    }
    return labels.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
  }

  private static String shortHash(ByteString hash) {
    return hash.isEmpty() ? "-" : HexFormat.of().formatHex(hash.toByteArray(), 0, Math.min(8, hash.size()));
  }

  private static String guessMediaType(Path file) {
    try {
      String probed = Files.probeContentType(file);
      return probed != null ? probed : "application/octet-stream";
    } catch (IOException e) {
      return "application/octet-stream";
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
