package dev.cairn.server.vault.items;

import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import dev.cairn.server.config.CairnConfig;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.server.crypto.Attestations;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.crypto.DataKeys;
import dev.cairn.server.crypto.KeyEncryptionKeys;
import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.DownloadItemResponse;
import dev.cairn.vault.v1.GetItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.UpdateItemRequest;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Helpers for the item tests: stubs, small documents, raw SQL as the superuser. */
final class ItemFixtures {
  private ItemFixtures() {}

  static VaultServiceGrpc.VaultServiceBlockingStub vault(Channel channel, String token) {
    return VaultServiceGrpc.newBlockingStub(channel).withCallCredentials(CairnTestServer.bearer(token));
  }

  static VaultServiceGrpc.VaultServiceStub vaultAsync(Channel channel, String token) {
    return VaultServiceGrpc.newStub(channel).withCallCredentials(CairnTestServer.bearer(token));
  }

  static Item document(String displayName, String content, Map<String, String> labels) {
    return Item.newBuilder()
        .setKind(Item.Kind.KIND_DOCUMENT)
        .setDisplayName(displayName)
        .setMediaType("text/plain; charset=utf-8")
        .putAllLabels(labels)
        .setContent(ByteString.copyFromUtf8(content))
        .build();
  }

  static Item create(VaultServiceGrpc.VaultServiceBlockingStub vault, Item item) {
    return vault.createItem(CreateItemRequest.newBuilder().setItem(item).build()).getItem();
  }

  static Item createText(VaultServiceGrpc.VaultServiceBlockingStub vault, String content) {
    return create(vault, document("note.txt", content, Map.of()));
  }

  static Item setContent(VaultServiceGrpc.VaultServiceBlockingStub vault, String name, String content, String etag) {
    return vault.updateItem(UpdateItemRequest.newBuilder()
            .setItem(Item.newBuilder().setName(name).setContent(ByteString.copyFromUtf8(content)))
            .setUpdateMask(FieldMask.newBuilder().addPaths("content"))
            .setEtag(etag)
            .build())
        .getItem();
  }

  static Item get(VaultServiceGrpc.VaultServiceBlockingStub vault, String name) {
    return vault.getItem(GetItemRequest.newBuilder().setName(name).build()).getItem();
  }

  /** The whole download (small items only). */
  static byte[] download(VaultServiceGrpc.VaultServiceBlockingStub vault, String name, long version) {
    Iterator<DownloadItemResponse> it =
        vault.downloadItem(DownloadItemRequest.newBuilder().setName(name).setVersion(version).build());
    var out = new ByteArrayOutputStream();
    DownloadItemResponse first = it.next();
    if (!first.hasMetadata()) {
      throw new AssertionError("first message is not metadata");
    }
    it.forEachRemaining(r -> out.writeBytes(r.getChunk().toByteArray()));
    return out.toByteArray();
  }

  /** An UploadItem response observer that completes {@code done} with the answer or the failure. */
  static io.grpc.stub.ClientResponseObserver<dev.cairn.vault.v1.UploadItemRequest, dev.cairn.vault.v1.UploadItemResponse>
      completing(java.util.concurrent.CompletableFuture<dev.cairn.vault.v1.UploadItemResponse> done) {
    return new io.grpc.stub.ClientResponseObserver<>() {
      @Override
      public void beforeStart(io.grpc.stub.ClientCallStreamObserver<dev.cairn.vault.v1.UploadItemRequest> request) {}

      @Override
      public void onNext(dev.cairn.vault.v1.UploadItemResponse value) {
        done.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }

  static StatusRuntimeException failure(Runnable call) {
    return catchThrowableOfType(StatusRuntimeException.class, call::run);
  }

  /** The shared test database as its owner (bypasses RLS: for looking at raw rows). */
  static Connection superuser() throws SQLException {
    return DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
  }

  static long count(String sql, UUID id) throws SQLException {
    try (Connection c = superuser(); var st = c.prepareStatement(sql)) {
      st.setObject(1, id);
      try (var rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * A vault context over the shared test server's database and clock, for calling server-side
   * jobs (the purge step) directly. Its keys are its own: fine for work that decrypts nothing.
   */
  static VaultContext contextFor(CairnTestServer cairn) {
    CairnConfig config = CairnTestServer.config(Map.of());
    byte[] hmac = new byte[32];
    new SecureRandom().nextBytes(hmac);
    return new VaultContext(
        cairn.server().database(),
        new DataKeys(new KeyEncryptionKeys(KeyEncryptionKeys.generate(), List.of())),
        new AuditLog(hmac, CairnTestServer.CLOCK),
        new VaultAccess(),
        config.vault(),
        Attestations.parseKey(Attestations.generateKey()),
        PageTokens.derivedFrom(hmac),
        CairnTestServer.CLOCK,
        UUID::randomUUID,
        new SecureRandom());
  }
}
