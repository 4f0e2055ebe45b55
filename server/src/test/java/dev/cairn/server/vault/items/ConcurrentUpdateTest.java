package dev.cairn.server.vault.items;

import static dev.cairn.server.vault.items.ItemFixtures.createText;
import static dev.cairn.server.vault.items.ItemFixtures.download;
import static dev.cairn.server.vault.items.ItemFixtures.get;
import static dev.cairn.server.vault.items.ItemFixtures.setContent;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ItemVersion;
import dev.cairn.vault.v1.ListItemVersionsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** 100 writers on real threads, each "read etag, update with it, retry on ABORTED". */
class ConcurrentUpdateTest {
  private static final int WRITERS = 100;
  private final CairnTestServer cairn = CairnTestServer.get();

  @Test
  void concurrentEtagUpdatesLoseNothingAndEachVersionHasOneWriter() throws Exception {
    var alice = ItemFixtures.vault(cairn.channel(), cairn.newUser("alice").token());
    Item item = createText(alice, "start");
    var start = new CountDownLatch(1);
    List<Future<Long>> written = new ArrayList<>();
    try (var pool = Executors.newFixedThreadPool(WRITERS)) {
      for (int w = 0; w < WRITERS; w++) {
        String content = "writer-" + w;
        written.add(pool.submit((Callable<Long>) () -> {
          start.await();
          while (true) {
            String etag = get(alice, item.getName()).getEtag();
            try {
              return setContent(alice, item.getName(), content, etag).getVersion();
            } catch (StatusRuntimeException e) {
              if (e.getStatus().getCode() != Status.Code.ABORTED) {
                throw e;
              }
            }
          }
        }));
      }
      start.countDown();
      Set<Long> versions = new HashSet<>();
      for (var f : written) {
        versions.add(f.get());
      }
      // every successful update got a version no other update got
      assertThat(versions).hasSize(WRITERS);
      assertThat(versions).allSatisfy(v -> assertThat(v).isBetween(2L, WRITERS + 1L));
    }

    List<ItemVersion> all = alice.listItemVersions(
        ListItemVersionsRequest.newBuilder().setParent(item.getName()).setPageSize(1000).build()).getItemVersionsList();
    assertThat(all).hasSize(WRITERS + 1);
    Set<String> contents = new HashSet<>();
    for (ItemVersion v : all) {
      if (v.getVersion() > 1) {
        contents.add(new String(download(alice, item.getName(), v.getVersion()), StandardCharsets.UTF_8));
      }
    }
    // no update was lost: each writer's content is in exactly one version
    Set<String> expected = new HashSet<>();
    for (int w = 0; w < WRITERS; w++) {
      expected.add("writer-" + w);
    }
    assertThat(contents).isEqualTo(expected);
    assertThat(get(alice, item.getName()).getVersion()).isEqualTo(WRITERS + 1L);
  }
}
