package dev.cairn.server.mcp;

import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.DownloadItemResponse;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemView;
import io.grpc.Context;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code fetch}: GetItem, then a record's JSON (GetItem FULL) or a text document's content
 * (DownloadItem, read only up to the size bound and then cancelled), each audited as a read by
 * the RPC. Binary documents (PDF, images) answer with their metadata: their text is reachable
 * through search's snippets.
 */
final class FetchTool implements CairnTool {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private final CairnStubs stubs;
  private final int maxChars;

  FetchTool(CairnStubs stubs, int maxChars) {
    this.stubs = stubs;
    this.maxChars = maxChars;
  }

  @Override
  public String name() {
    return "fetch";
  }

  @Override
  public String description() {
    return "Read one item this user can read: a document's text or a record's JSON data, with its metadata. "
        + "Long text is cut at a size limit and says so (truncated: true).";
  }

  @Override
  public Map<String, Object> properties() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("item", ToolFields.string("The item's name, items/{id} (as search and list_items return it)"));
    p.put("version", ToolFields.integer("A version number; default the latest", 0, Integer.MAX_VALUE));
    return p;
  }

  @Override
  public Set<String> required() {
    return Set.of("item");
  }

  @Override
  public String argumentFor(String rpcField) {
    return ToolFields.argument(rpcField, Map.of("name", "item"));
  }

  @Override
  public Object call(McpCaller caller, ToolArgs args) {
    String name = ToolFields.name("items", args.requiredString("item"));
    int version = args.integer("version", 0, 0, Integer.MAX_VALUE);
    var vault = stubs.vault(caller, name(), DEADLINE);
    Item item = vault.getItem(GetItemRequest.newBuilder().setName(name).setVersion(version)
        .setView(ItemView.ITEM_VIEW_BASIC).build()).getItem();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("item", ItemViews.summary(item));
    if (item.getKind() == Item.Kind.KIND_RECORD) {
      Item full = vault.getItem(GetItemRequest.newBuilder().setName(name).setVersion(version)
          .setView(ItemView.ITEM_VIEW_FULL).build()).getItem();
      out.put("data", Json.plain(full.getData()));
    } else if (isText(item.getMediaType())) {
      readText(caller, name, version, out);
    } else {
      out.put("text", null);
      out.put("note", "binary content (" + item.getMediaType() + "): use search to read its passages");
    }
    return out;
  }

  private void readText(McpCaller caller, String name, int version, Map<String, Object> out) {
    // a UTF-8 character is at most 4 bytes: this many bytes always hold maxChars characters
    long byteBudget = 4L * maxChars;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean more = false;
    try (Context.CancellableContext read = Context.current().withCancellation()) {
      Context previous = read.attach();
      try {
        Iterator<DownloadItemResponse> stream = stubs.vault(caller, name(), DEADLINE)
            .downloadItem(DownloadItemRequest.newBuilder().setName(name).setVersion(version).build());
        while (stream.hasNext()) {
          DownloadItemResponse part = stream.next();
          if (part.hasChunk()) {
            part.getChunk().writeTo(bytes);
            if (bytes.size() > byteBudget) {
              more = true;
              break; // the context's cancellation stops the rest of the stream
            }
          }
        }
      } finally {
        read.detach(previous);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String text = decode(bytes.toByteArray());
    boolean truncated = more || text.length() > maxChars;
    if (text.length() > maxChars) {
      text = text.substring(0, maxChars);
    }
    out.put("text", text);
    out.put("truncated", truncated);
  }

  /** UTF-8, with bad or cut-off sequences replaced rather than failing the read. */
  private static String decode(byte[] bytes) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    try {
      CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes));
      return chars.toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalStateException(e); // REPLACE never throws
    }
  }

  static boolean isText(String mediaType) {
    String type = mediaType.toLowerCase(java.util.Locale.ROOT);
    return type.startsWith("text/") || type.startsWith("application/json") || type.contains("+json")
        || type.startsWith("application/xml") || type.contains("+xml") || type.startsWith("application/yaml")
        || type.startsWith("application/x-yaml") || type.startsWith("application/csv");
  }
}
