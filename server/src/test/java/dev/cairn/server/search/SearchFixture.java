package dev.cairn.server.search;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Timestamp;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.server.search.index.SearchIndexer;
import dev.cairn.server.search.ingest.Chunker;
import dev.cairn.server.search.ingest.ChunkingSettings;
import dev.cairn.server.search.ingest.ExtractionSettings;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.DeleteItemRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.UpdateItemRequest;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;

/** Search test helpers: items through the vault RPCs, indexing through the real job queue, SQL as the superuser. */
final class SearchFixture {
  static final CairnTestServer SERVER = CairnTestServer.get();
  private static volatile SearchIndexer indexer;

  private SearchFixture() {}

  static SearchServiceGrpc.SearchServiceBlockingStub search(TestUser user) {
    return SearchServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  static VaultServiceGrpc.VaultServiceBlockingStub vault(TestUser user) {
    return VaultServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  static SharingServiceGrpc.SharingServiceBlockingStub sharing(TestUser user) {
    return SharingServiceGrpc.newBlockingStub(SERVER.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  /** A searchable document made through CreateItem. */
  static String document(TestUser owner, String mediaType, byte[] content, Map<String, String> labels) {
    Item item = Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setDisplayName("doc").setMediaType(mediaType)
        .setSearchable(true).putAllLabels(labels).setContent(ByteString.copyFrom(content)).build();
    return vault(owner).createItem(CreateItemRequest.newBuilder().setItem(item).build()).getItem().getName();
  }

  static String text(TestUser owner, String content) {
    return document(owner, "text/plain", content.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  static String markdown(TestUser owner, String content) {
    return document(owner, "text/markdown", content.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  /** A new version with {@code content}. */
  static void newVersion(TestUser owner, String item, String content) {
    vault(owner).updateItem(UpdateItemRequest.newBuilder()
        .setItem(Item.newBuilder().setName(item).setContent(ByteString.copyFromUtf8(content)))
        .setUpdateMask(FieldMask.newBuilder().addPaths("content"))
        .build());
  }

  static void setSearchable(TestUser owner, String item, boolean searchable) {
    vault(owner).updateItem(UpdateItemRequest.newBuilder()
        .setItem(Item.newBuilder().setName(item).setSearchable(searchable))
        .setUpdateMask(FieldMask.newBuilder().addPaths("searchable"))
        .build());
  }

  static void delete(TestUser owner, String item) {
    vault(owner).deleteItem(DeleteItemRequest.newBuilder().setName(item).build());
  }

  /**
   * Runs every due job now (the index jobs the writes enqueued) and waits for them — also for the
   * ones another server on the shared test database (a two-replica fixture) claimed first.
   * Retries waiting out a backoff (attempts > 0) are not waited for.
   */
  static void index() {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (true) {
      SERVER.server().jobWorker().runDue();
      if (superuser("SELECT 1 FROM cairn.jobs WHERE kind = 'search-index'"
          + " AND (state = 'RUNNING' OR (state = 'PENDING' AND attempts = 0)) LIMIT 1").isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("search-index jobs still running or due after 60 s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  static String grant(TestUser owner, TestUser grantee, String item, Instant expires) {
    var grant = Grant.newBuilder().setGrantee(grantee.user().getName()).setTarget(item).setRole(Role.ROLE_READ).setPurpose("search test");
    if (expires != null) {
      grant.setExpireTime(Timestamp.newBuilder().setSeconds(expires.getEpochSecond()));
    }
    return sharing(owner).createGrant(CreateGrantRequest.newBuilder().setGrant(grant).build()).getGrant().getName();
  }

  static void revoke(TestUser owner, String grant) {
    sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName(grant).build());
  }

  static SearchResponse lexical(TestUser user, String query) {
    return search(user).search(SearchRequest.newBuilder().setQuery(query).setMode(SearchMode.SEARCH_MODE_LEXICAL).build());
  }

  static SearchRequest.Builder request(String query) {
    return SearchRequest.newBuilder().setQuery(query).setMode(SearchMode.SEARCH_MODE_LEXICAL);
  }

  /** The code points [start, end) of {@code text}. */
  static String codePoints(String text, int start, int end) {
    int[] cps = text.codePoints().toArray();
    return new String(cps, start, end - start);
  }

  /** A separate indexer over the server's database and keys (to run one version's indexing by hand). */
  static SearchIndexer indexer() {
    if (indexer == null) {
      var vault = SERVER.server().vault();
      indexer = new SearchIndexer(SERVER.server().database(), vault.contentStore(), ExtractionSettings.defaults(),
          new Chunker(ChunkingSettings.defaults(), SERVER.server().embedder()::countTokens), SERVER.server().embedder(),
          vault.clock(), new SimpleMeterRegistry());
    }
    return indexer;
  }

  static UUID id(String name) {
    return UUID.fromString(name.substring(name.indexOf('/') + 1));
  }

  static UUID id(TestUser user) {
    return UUID.fromString(user.id());
  }

  /** One column of rows, as the superuser sees them (no RLS). */
  static List<String> superuser(String sql, Object... args) {
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<String> out = new ArrayList<>();
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A PDF with one page per entry, each page's text as one line. */
  static byte[] pdf(List<String> pages) {
    try (PDDocument doc = new PDDocument()) {
      for (String text : pages) {
        PDPage page = new PDPage();
        doc.addPage(page);
        try (var out = new PDPageContentStream(doc, page)) {
          out.beginText();
          out.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
          out.newLineAtOffset(72, 700);
          out.showText(text);
          out.endText();
        }
      }
      var bytes = new ByteArrayOutputStream();
      doc.save(bytes);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
