package dev.cairn.server.vault.items;

import static dev.cairn.server.vault.items.ItemFixtures.count;
import static dev.cairn.server.vault.items.ItemFixtures.download;
import static dev.cairn.server.vault.items.ItemFixtures.failure;
import static dev.cairn.server.vault.items.ItemFixtures.vault;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.vault.v1.AppendUploadRequest;
import dev.cairn.vault.v1.CancelUploadRequest;
import dev.cairn.vault.v1.CompleteUploadRequest;
import dev.cairn.vault.v1.CompleteUploadResponse;
import dev.cairn.vault.v1.CreateUploadRequest;
import dev.cairn.vault.v1.GetUploadRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.Upload;
import dev.cairn.vault.v1.VaultServiceGrpc.VaultServiceBlockingStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Resumable uploads through real gRPC against the real database: appends, retries, races,
 * completion, isolation and expiry.
 */
class ResumableUploadTest {
  private static final int CHUNK = 256 * 1024;
  private final CairnTestServer cairn = CairnTestServer.get();

  @Test
  void multiChunkUploadCompletesIntoAnItemThatDownloadsByteIdentical() throws Exception {
    var alice = vault(cairn.channel(), cairn.newUser("up").token());
    byte[] content = randomBytes(3 * CHUNK + 1234, 1);
    Upload upload = create(alice, content.length, sha256(content));
    assertThat(upload.getCommittedBytes()).isZero();
    assertThat(upload.getState()).isEqualTo(Upload.State.STATE_ACTIVE);

    long offset = 0;
    while (offset < content.length) {
      int n = (int) Math.min(CHUNK, content.length - offset);
      Upload after = append(alice, upload.getName(), offset, Arrays.copyOfRange(content, (int) offset, (int) offset + n));
      offset += n;
      assertThat(after.getCommittedBytes()).isEqualTo(offset);
    }
    assertThat(get(alice, upload.getName()).getCommittedBytes()).isEqualTo(content.length);

    CompleteUploadResponse done = complete(alice, upload.getName());
    Item item = done.getItem();
    assertThat(item.getDisplayName()).isEqualTo("big.bin");
    assertThat(item.getSizeBytes()).isEqualTo(content.length);
    assertThat(item.getContentSha256().toByteArray()).isEqualTo(sha256(content));
    assertThat(done.getUpload().getState()).isEqualTo(Upload.State.STATE_COMPLETED);
    assertThat(done.getUpload().getResultItem()).isEqualTo(item.getName());
    assertThat(download(alice, item.getName(), 0)).isEqualTo(content);
  }

  @Test
  void stagedBytesAreStoredEncrypted() throws Exception {
    var user = cairn.newUser("enc");
    var alice = vault(cairn.channel(), user.token());
    byte[] marker = "PLAINTEXT-MARKER-0123456789-PLAINTEXT-MARKER".repeat(20).getBytes();
    Upload upload = create(alice, marker.length, null);
    append(alice, upload.getName(), 0, marker);
    UUID owner = UUID.fromString(user.id());
    assertThat(count("SELECT count(*) FROM cairn.item_segments WHERE owner_id = ?", owner)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM cairn.item_segments WHERE owner_id = ? AND position('PLAINTEXT-MARKER'::bytea IN ciphertext) > 0", owner)).isZero();
  }

  @Test
  void appendAtWrongOffsetFailsNamingTheExpectedOffset() {
    var alice = vault(cairn.channel(), cairn.newUser("off").token());
    Upload upload = create(alice, 100, null);
    append(alice, upload.getName(), 0, new byte[40]);

    StatusRuntimeException ahead = failure(() -> append(alice, upload.getName(), 50, new byte[10]));
    assertThat(ahead.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(CairnTestServer.errorInfo(ahead).orElseThrow().getMetadataMap()).containsEntry("expected_offset", "40");

    StatusRuntimeException behind = failure(() -> append(alice, upload.getName(), 0, new byte[10]));
    assertThat(behind.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(get(alice, upload.getName()).getCommittedBytes()).isEqualTo(40);
  }

  @Test
  void appendPastTheDeclaredSizeIsInvalidAndWritesNothing() {
    var alice = vault(cairn.channel(), cairn.newUser("past").token());
    Upload upload = create(alice, 10, null);
    StatusRuntimeException e = failure(() -> append(alice, upload.getName(), 0, new byte[11]));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolations(0).getField()).isEqualTo("data");
    assertThat(get(alice, upload.getName()).getCommittedBytes()).isZero();
  }

  @Test
  void retriedAppendAndRetriedCompleteAreHarmless() throws Exception {
    var user = cairn.newUser("retry");
    var alice = vault(cairn.channel(), user.token());
    byte[] content = randomBytes(2 * CHUNK, 2);
    Upload upload = create(alice, content.length, sha256(content));
    byte[] first = Arrays.copyOf(content, CHUNK);
    append(alice, upload.getName(), 0, first);
    Upload again = append(alice, upload.getName(), 0, first); // the answer was lost; the client repeats
    assertThat(again.getCommittedBytes()).isEqualTo(CHUNK);
    append(alice, upload.getName(), CHUNK, Arrays.copyOfRange(content, CHUNK, 2 * CHUNK));

    Item item = complete(alice, upload.getName()).getItem();
    Item twice = complete(alice, upload.getName()).getItem();
    assertThat(twice.getName()).isEqualTo(item.getName());
    assertThat(alice.listItems(ListItemsRequest.getDefaultInstance()).getItemsList()).hasSize(1);
    assertThat(download(alice, item.getName(), 0)).isEqualTo(content);
    cairn.chainAudit();
    assertThat(count("SELECT count(*) FROM cairn.audit_events WHERE owner_id = ? AND action = 'ITEM_CREATE'",
        UUID.fromString(user.id()))).isEqualTo(1);
  }

  @Test
  void hashMismatchFailsAndStoresNothing() throws Exception {
    var alice = vault(cairn.channel(), cairn.newUser("hash").token());
    byte[] content = randomBytes(1000, 3);
    Upload upload = create(alice, content.length, sha256("something else".getBytes()));
    append(alice, upload.getName(), 0, content);
    StatusRuntimeException e = failure(() -> complete(alice, upload.getName()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolations(0).getField()).isEqualTo("upload.content_sha256");
    assertThat(alice.listItems(ListItemsRequest.getDefaultInstance()).getItemsList()).isEmpty();
    assertThat(get(alice, upload.getName()).getState()).isEqualTo(Upload.State.STATE_ACTIVE);
  }

  @Test
  void sizeShortOfTheDeclaredTotalFailsAndStoresNothing() {
    var alice = vault(cairn.channel(), cairn.newUser("short").token());
    Upload upload = create(alice, 2000, null);
    append(alice, upload.getName(), 0, new byte[1000]);
    StatusRuntimeException e = failure(() -> complete(alice, upload.getName()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(CairnTestServer.badRequest(e).orElseThrow().getFieldViolations(0).getField()).isEqualTo("upload.size_bytes");
    assertThat(alice.listItems(ListItemsRequest.getDefaultInstance()).getItemsList()).isEmpty();
  }

  @Test
  void anotherUserSeesNotFoundThroughEveryUploadRpc() {
    var alice = vault(cairn.channel(), cairn.newUser("owner").token());
    var bob = vault(cairn.channel(), cairn.newUser("stranger").token());
    Upload upload = create(alice, 10, null);
    String name = upload.getName();
    List<Runnable> calls = List.of(
        () -> get(bob, name),
        () -> append(bob, name, 0, new byte[10]),
        () -> complete(bob, name),
        () -> bob.cancelUpload(CancelUploadRequest.newBuilder().setName(name).build()));
    for (Runnable call : calls) {
      assertThat(failure(call).getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }
    Upload untouched = get(alice, name);
    assertThat(untouched.getCommittedBytes()).isZero();
    assertThat(untouched.getState()).isEqualTo(Upload.State.STATE_ACTIVE);
    // an unknown name answers exactly as another's does
    var unknown = failure(() -> get(bob, "uploads/" + UUID.randomUUID()));
    assertThat(unknown.getStatus().getDescription()).startsWith("uploads/");
  }

  @Test
  void racingAppendsAtOneOffsetHaveExactlyOneWinner() throws Exception {
    var alice = vault(cairn.channel(), cairn.newUser("race").token());
    int racers = 6;
    Upload upload = create(alice, 100, null);
    var start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    try (var pool = Executors.newFixedThreadPool(racers)) {
      for (int i = 0; i < racers; i++) {
        byte[] mine = new byte[100];
        Arrays.fill(mine, (byte) i);
        results.add(pool.submit(() -> {
          start.await();
          try {
            append(alice, upload.getName(), 0, mine);
            return true;
          } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            return false;
          }
        }));
      }
      start.countDown();
      int wins = 0;
      for (Future<Boolean> r : results) {
        wins += r.get() ? 1 : 0;
      }
      assertThat(wins).isEqualTo(1);
    }
    Item item = complete(alice, upload.getName()).getItem();
    byte[] stored = download(alice, item.getName(), 0);
    assertThat(stored).hasSize(100);
    for (byte b : stored) {
      assertThat(b).isEqualTo(stored[0]); // one racer's bytes, not a mix
    }
  }

  @Test
  void racingCompletesCreateOneItem() throws Exception {
    var alice = vault(cairn.channel(), cairn.newUser("twice").token());
    Upload upload = create(alice, 5, null);
    append(alice, upload.getName(), 0, "hello".getBytes());
    var start = new CountDownLatch(1);
    List<Future<String>> names = new ArrayList<>();
    try (var pool = Executors.newFixedThreadPool(4)) {
      for (int i = 0; i < 4; i++) {
        names.add(pool.submit(() -> {
          start.await();
          return complete(alice, upload.getName()).getItem().getName();
        }));
      }
      start.countDown();
      String first = names.get(0).get();
      for (Future<String> n : names) {
        assertThat(n.get()).isEqualTo(first);
      }
    }
    assertThat(alice.listItems(ListItemsRequest.getDefaultInstance()).getItemsList()).hasSize(1);
  }

  @Test
  void uploadOfANewVersionAddsOneVersionToTheOwnersItem() {
    var alice = vault(cairn.channel(), cairn.newUser("ver").token());
    Item item = ItemFixtures.createText(alice, "v1");
    Upload upload = alice.createUpload(CreateUploadRequest.newBuilder().setUpload(Upload.newBuilder()
        .setTarget(item.getName()).setEtag(item.getEtag()).setSizeBytes(2)).build()).getUpload();
    append(alice, upload.getName(), 0, "v2".getBytes());
    Item updated = complete(alice, upload.getName()).getItem();
    assertThat(updated.getName()).isEqualTo(item.getName());
    assertThat(updated.getVersion()).isEqualTo(2);
    assertThat(new String(download(alice, item.getName(), 0))).isEqualTo("v2");
  }

  @Test
  void cancelRemovesTheUploadAndItsStagedBytes() throws Exception {
    var user = cairn.newUser("cancel");
    var alice = vault(cairn.channel(), user.token());
    Upload upload = create(alice, 100, null);
    append(alice, upload.getName(), 0, new byte[60]);
    alice.cancelUpload(CancelUploadRequest.newBuilder().setName(upload.getName()).build());
    assertThat(failure(() -> get(alice, upload.getName())).getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(count("SELECT count(*) FROM cairn.item_segments WHERE owner_id = ?", UUID.fromString(user.id()))).isZero();
  }

  @Test
  void openUploadsPerUserAreLimited() {
    var alice = vault(cairn.channel(), cairn.newUser("many").token());
    int max = CairnTestServer.config(java.util.Map.of()).vault().maxOpenUploads();
    for (int i = 0; i < max; i++) {
      create(alice, 1, null);
    }
    StatusRuntimeException e = failure(() -> create(alice, 1, null));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(CairnTestServer.errorInfo(e).orElseThrow().getMetadataMap()).containsEntry("limit", "max_open_uploads");
  }

  @Test
  void concurrentCreatesNeverOpenMoreUploadsThanTheLimit() throws Exception {
    var alice = vault(cairn.channel(), cairn.newUser("racing-opens").token());
    int max = CairnTestServer.config(java.util.Map.of()).vault().maxOpenUploads();
    int racers = max * 3;
    var start = new CountDownLatch(1);
    List<Future<Status.Code>> outcomes = new ArrayList<>();
    try (var pool = Executors.newFixedThreadPool(racers)) {
      for (int i = 0; i < racers; i++) {
        outcomes.add(pool.submit(() -> {
          start.await();
          try {
            create(alice, 1, null);
            return Status.Code.OK;
          } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
          }
        }));
      }
      start.countDown();
      int opened = 0;
      for (var outcome : outcomes) {
        Status.Code code = outcome.get();
        assertThat(code).isIn(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED);
        opened += code == Status.Code.OK ? 1 : 0;
      }
      assertThat(opened).isEqualTo(max);
    }
  }

  @Test
  void sizeOverTheItemLimitIsRefusedAtCreate() {
    var alice = vault(cairn.channel(), cairn.newUser("huge").token());
    long max = CairnTestServer.config(java.util.Map.of()).vault().maxItemBytes();
    StatusRuntimeException e = failure(() -> create(alice, max + 1, null));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void expiredUploadIsGoneAndPurgedWithItsStagedBytes() throws Exception {
    var user = cairn.newUser("expire");
    var alice = vault(cairn.channel(), user.token());
    UUID owner = UUID.fromString(user.id());
    Upload upload = create(alice, 100, null);
    append(alice, upload.getName(), 0, new byte[50]);
    var purger = new ItemPurger(ItemFixtures.contextFor(cairn));
    try {
      CairnTestServer.CLOCK.advance(Duration.ofHours(25)); // past the default 24 h
      assertThat(failure(() -> get(alice, upload.getName())).getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(failure(() -> append(alice, upload.getName(), 50, new byte[50])).getStatus().getCode())
          .isEqualTo(Status.Code.NOT_FOUND);
      purger.purgeOwner(owner);
    } finally {
      CairnTestServer.CLOCK.reset();
    }
    assertThat(count("SELECT count(*) FROM cairn.uploads WHERE owner_id = ?", owner)).isZero();
    assertThat(count("SELECT count(*) FROM cairn.item_segments WHERE owner_id = ?", owner)).isZero();
  }

  // ---------------------------------------------------------------- helpers

  private static Upload create(VaultServiceBlockingStub vault, long size, byte[] sha) {
    var upload = Upload.newBuilder()
        .setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setDisplayName("big.bin").setMediaType("application/octet-stream"))
        .setSizeBytes(size);
    if (sha != null) {
      upload.setContentSha256(ByteString.copyFrom(sha));
    }
    return vault.createUpload(CreateUploadRequest.newBuilder().setUpload(upload).build()).getUpload();
  }

  private static Upload append(VaultServiceBlockingStub vault, String name, long offset, byte[] data) {
    return vault.appendUpload(AppendUploadRequest.newBuilder()
        .setName(name).setOffset(offset).setData(ByteString.copyFrom(data)).build()).getUpload();
  }

  private static Upload get(VaultServiceBlockingStub vault, String name) {
    return vault.getUpload(GetUploadRequest.newBuilder().setName(name).build()).getUpload();
  }

  private static CompleteUploadResponse complete(VaultServiceBlockingStub vault, String name) {
    return vault.completeUpload(CompleteUploadRequest.newBuilder().setName(name).build());
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }
}
