package dev.cairn.server.vault.items;

import static dev.cairn.server.vault.items.ItemFixtures.count;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.UploadItemMetadata;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * An upload that never half-closes (the client cancels, or its deadline passes) leaves
 * nothing: no item, no version, no segment, nothing in ListItems.
 */
class UploadCancellationTest {
  private static final int MIB = 1024 * 1024;
  private final CairnTestServer cairn = CairnTestServer.get();

  @Test
  void cancelledUploadLeavesNoItemVersionOrSegment() throws Exception {
    TestUser user = cairn.newUser("cancel");
    UUID owner = UUID.fromString(user.id());
    var upload = start(user, stub -> stub);
    sendMetadataAndChunks(upload.request(), 3);
    awaitSegments(owner, 2); // the server has stored content: the upload is well under way

    upload.request().cancel("the user closed the tab", null);

    awaitNoSegments(owner);
    assertNothingStored(user, owner);
  }

  @Test
  void uploadWhoseDeadlinePassesLeavesNothing() throws Exception {
    TestUser user = cairn.newUser("deadline");
    UUID owner = UUID.fromString(user.id());
    var upload = start(user, stub -> stub.withDeadlineAfter(3, TimeUnit.SECONDS));
    sendMetadataAndChunks(upload.request(), 3);
    awaitSegments(owner, 2);

    assertThat(upload.done()).failsWithin(10, TimeUnit.SECONDS); // DEADLINE_EXCEEDED, never half-closed

    awaitNoSegments(owner);
    assertNothingStored(user, owner);
  }

  @Test
  void granteesCancelledNewVersionLeavesNoSegmentOnTheOwnersItem() throws Exception {
    TestUser owner = cairn.newUser("owner");
    TestUser editor = cairn.newUser("editor");
    Item item = ItemFixtures.createText(ItemFixtures.vault(cairn.channel(), owner.token()), "v1");
    UUID itemId = UUID.fromString(item.getName().substring("items/".length()));
    SharingServiceGrpc.newBlockingStub(cairn.channel()).withCallCredentials(CairnTestServer.bearer(owner.token()))
        .createGrant(CreateGrantRequest.newBuilder().setGrant(Grant.newBuilder()
            .setGrantee(editor.user().getName()).setTarget(item.getName()).setRole(Role.ROLE_WRITE).setPurpose("edit"))
            .build());
    var upload = start(editor, stub -> stub);
    upload.request().onNext(UploadItemRequest.newBuilder()
        .setMetadata(UploadItemMetadata.newBuilder().setName(item.getName())).build());
    byte[] chunk = new byte[MIB];
    for (int i = 0; i < 3; i++) {
      upload.request().onNext(UploadItemRequest.newBuilder().setChunk(ByteString.copyFrom(chunk)).build());
    }
    String segmentsOfItem = "SELECT count(*) FROM cairn.item_segments WHERE item_id = ?";
    for (int i = 0; i < 1000 && count(segmentsOfItem, itemId) < 3; i++) {
      Thread.sleep(10);
    }
    assertThat(count(segmentsOfItem, itemId)).isGreaterThanOrEqualTo(3); // v1's segment and two of the upload's

    upload.request().cancel("changed my mind", null);

    for (int i = 0; i < 500 && count(segmentsOfItem, itemId) > 1; i++) {
      Thread.sleep(10);
    }
    assertThat(count(segmentsOfItem, itemId)).isEqualTo(1); // only v1's
    assertThat(count("SELECT count(*) FROM cairn.item_versions WHERE item_id = ?", itemId)).isEqualTo(1);
    assertThat(ItemFixtures.get(ItemFixtures.vault(cairn.channel(), owner.token()), item.getName()).getVersion()).isEqualTo(1);
  }

  private record Upload(ClientCallStreamObserver<UploadItemRequest> request, CompletableFuture<UploadItemResponse> done) {}

  private Upload start(
      TestUser user,
      Function<dev.cairn.vault.v1.VaultServiceGrpc.VaultServiceStub, dev.cairn.vault.v1.VaultServiceGrpc.VaultServiceStub> configure) {
    var done = new CompletableFuture<UploadItemResponse>();
    var observer = ItemFixtures.completing(done);
    var request = (ClientCallStreamObserver<UploadItemRequest>)
        configure.apply(ItemFixtures.vaultAsync(cairn.channel(), user.token())).uploadItem(observer);
    return new Upload(request, done);
  }

  private static void sendMetadataAndChunks(ClientCallStreamObserver<UploadItemRequest> request, int mebibytes)
      throws InterruptedException {
    request.onNext(UploadItemRequest.newBuilder().setMetadata(UploadItemMetadata.newBuilder()
        .setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setMediaType("application/octet-stream")
            .setDisplayName("half.bin"))).build());
    byte[] chunk = new byte[MIB];
    for (int i = 0; i < mebibytes; i++) {
      for (int spins = 0; !request.isReady() && spins < 10_000; spins++) {
        Thread.sleep(1);
      }
      request.onNext(UploadItemRequest.newBuilder().setChunk(ByteString.copyFrom(chunk)).build());
    }
  }

  private static void awaitSegments(UUID owner, long atLeast) throws Exception {
    for (int i = 0; i < 1000 && segments(owner) < atLeast; i++) {
      Thread.sleep(10);
    }
    assertThat(segments(owner)).isGreaterThanOrEqualTo(atLeast);
  }

  /** The server has processed the cancellation once its clean-up has removed the segments. */
  private static void awaitNoSegments(UUID owner) throws Exception {
    for (int i = 0; i < 1000 && segments(owner) > 0; i++) {
      Thread.sleep(10);
    }
    assertThat(segments(owner)).isZero();
  }

  private void assertNothingStored(TestUser user, UUID owner) throws SQLException {
    assertThat(count("SELECT count(*) FROM cairn.items WHERE owner_id = ?", owner)).isZero();
    assertThat(count("SELECT count(*) FROM cairn.item_versions WHERE owner_id = ?", owner)).isZero();
    assertThat(ItemFixtures.vault(cairn.channel(), user.token())
        .listItems(ListItemsRequest.newBuilder().setShowDeleted(true).build()).getItemsList()).isEmpty();
  }

  private static long segments(UUID owner) throws SQLException {
    return count("SELECT count(*) FROM cairn.item_segments WHERE owner_id = ?", owner);
  }
}
