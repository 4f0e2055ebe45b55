package dev.cairn.server.vault.items;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.vault.v1.DownloadItemRequest;
import dev.cairn.vault.v1.DownloadItemResponse;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.UploadItemMetadata;
import dev.cairn.vault.v1.UploadItemRequest;
import dev.cairn.vault.v1.UploadItemResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.lang.management.ManagementFactory;
import java.security.MessageDigest;
import java.util.Iterator;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A 100 MiB document up and down with SHA-256 equality, in a JVM with -Xmx2g (surefire's
 * argLine): the live heap measured after a GC halfway through each transfer, and after both,
 * stays far below the file size, so neither direction holds the content in memory.
 */
class LargeUploadTest {
  private static final int MIB = 1024 * 1024;
  private static final int SIZE_MIB = 100;
  private static final long BOUND = 64L * MIB;
  private final CairnTestServer cairn = CairnTestServer.get();

  @Test
  void hundredMebibyteUploadAndDownloadKeepHeapBounded() throws Exception {
    var user = cairn.newUser("big");
    long baseline = liveHeap();
    long[] peak = {0};

    // upload: generated on the fly, sent only as fast as the transport is ready
    MessageDigest sent = MessageDigest.getInstance("SHA-256");
    var done = new CompletableFuture<UploadItemResponse>();
    var observer = ItemFixtures.completing(done);
    var request = (ClientCallStreamObserver<UploadItemRequest>)
        ItemFixtures.vaultAsync(cairn.channel(), user.token()).uploadItem(observer);
    request.onNext(UploadItemRequest.newBuilder().setMetadata(UploadItemMetadata.newBuilder()
        .setItem(Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setMediaType("application/octet-stream").setDisplayName("big.bin"))
        .setSizeBytes((long) SIZE_MIB * MIB)).build());
    var random = new Random(42);
    byte[] chunk = new byte[MIB];
    for (int i = 0; i < SIZE_MIB; i++) {
      while (!request.isReady()) {
        Thread.sleep(1);
      }
      random.nextBytes(chunk);
      sent.update(chunk);
      request.onNext(UploadItemRequest.newBuilder().setChunk(ByteString.copyFrom(chunk)).build());
      if (i == SIZE_MIB / 2) {
        peak[0] = Math.max(peak[0], liveHeap() - baseline);
      }
    }
    request.onCompleted();
    Item stored = done.get(120, TimeUnit.SECONDS).getItem();
    byte[] sentSha = sent.digest();
    assertThat(stored.getSizeBytes()).isEqualTo((long) SIZE_MIB * MIB);
    assertThat(stored.getContentSha256().toByteArray()).isEqualTo(sentSha);

    // download: read chunk by chunk, hashed as it arrives
    MessageDigest received = MessageDigest.getInstance("SHA-256");
    Iterator<DownloadItemResponse> it = ItemFixtures.vault(cairn.channel(), user.token())
        .downloadItem(DownloadItemRequest.newBuilder().setName(stored.getName()).build());
    assertThat(it.next().getMetadata().getVersion().getSizeBytes()).isEqualTo((long) SIZE_MIB * MIB);
    int chunks = 0;
    while (it.hasNext()) {
      received.update(it.next().getChunk().asReadOnlyByteBuffer());
      if (++chunks == SIZE_MIB / 2) {
        peak[0] = Math.max(peak[0], liveHeap() - baseline);
      }
    }
    assertThat(received.digest()).isEqualTo(sentSha);
    long after = liveHeap() - baseline;
    System.out.printf("100 MiB round trip: max heap -Xmx%d MiB; live heap growth mid-transfer %d MiB, after %d MiB%n",
        Runtime.getRuntime().maxMemory() / MIB, peak[0] / MIB, after / MIB);
    assertThat(peak[0]).isLessThan(BOUND);
    assertThat(after).isLessThan(BOUND);
  }

  private static long liveHeap() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
