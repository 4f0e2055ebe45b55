package dev.cairn.server.search.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorIndexTest {
  private static final int DIMS = 32;
  private static final String MODEL = "test-model";

  @TempDir Path dir;
  private final Random random = new Random(42);
  private final List<VectorIndex> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(VectorIndex::close);
  }

  private VectorIndex open() {
    VectorIndex index = VectorIndex.open(dir, MODEL, DIMS);
    opened.add(index);
    return index;
  }

  private float[] randomVector() {
    float[] v = new float[DIMS];
    for (int i = 0; i < DIMS; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  private IndexChange.Upsert chunk(UUID owner, UUID item) {
    return new IndexChange.Upsert(UUID.randomUUID(), owner, item, randomVector());
  }

  @Test
  void aFilteredSearchReturnsKResultsFromAnOwnerHoldingOnePercentOfTheIndex() {
    theOwnersTenNearestOfFiveThousand(open());
  }

  /** The same through the graph (exact comparison off), as for a caller who can read more than EXACT_MAX chunks. */
  @Test
  void aFilteredGraphSearchReturnsKResultsFromAnOwnerHoldingOnePercentOfTheIndex() {
    VectorIndex index = VectorIndex.open(dir, MODEL, DIMS, 0);
    opened.add(index);
    theOwnersTenNearestOfFiveThousand(index);
  }

  /**
   * Up to EXACT_MAX readable chunks each is compared with the query: the hits are the true 100
   * nearest of the owner's 1,000, in order, for every query.
   */
  @Test
  void aSmallReadableSetGetsItsTrueNearestInOrder() {
    VectorIndex index = open();
    UUID owner = UUID.randomUUID();
    List<IndexChange> batch = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      batch.add(chunk(i % 2 == 0 ? owner : UUID.randomUUID(), UUID.randomUUID()));
    }
    index.apply(batch, 1);
    for (int q = 0; q < 20; q++) {
      float[] query = randomVector();
      List<UUID> exact = batch.stream().map(c -> (IndexChange.Upsert) c).filter(c -> c.ownerId().equals(owner))
          .sorted(Comparator.comparingDouble((IndexChange.Upsert c) -> -cosine(c.vector(), query)))
          .limit(100).map(IndexChange.Upsert::chunkId).toList();

      assertThat(index.search(query, 100, ReadFilter.owners(owner))).extracting(VectorHit::chunkId)
          .containsExactlyElementsOf(exact);
    }
  }

  private void theOwnersTenNearestOfFiveThousand(VectorIndex index) {
    UUID small = UUID.randomUUID();
    List<IndexChange.Upsert> smallOwners = new ArrayList<>();
    List<IndexChange> batch = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      boolean mine = i % 100 == 0;
      IndexChange.Upsert c = chunk(mine ? small : UUID.randomUUID(), UUID.randomUUID());
      batch.add(c);
      if (mine) {
        smallOwners.add(c);
      }
    }
    index.apply(batch, 1);
    float[] query = randomVector();

    List<VectorHit> hits = index.search(query, 10, ReadFilter.owners(small));

    assertThat(hits).hasSize(10).allSatisfy(h -> assertThat(h.ownerId()).isEqualTo(small));
    // the very ten nearest of that owner's 50 chunks, by brute force: nothing lost to the graph
    List<UUID> exact = smallOwners.stream()
        .sorted(Comparator.comparingDouble((IndexChange.Upsert c) -> -cosine(c.vector(), query)))
        .limit(10).map(IndexChange.Upsert::chunkId).toList();
    assertThat(hits).extracting(VectorHit::chunkId).containsExactlyElementsOf(exact);
    // what filtering after an unfiltered top-10 would have found (the pgvector complaint)
    List<VectorHit> unfiltered = index.search(query, 10, ReadFilter.of(
        batch.stream().map(c -> ((IndexChange.Upsert) c).ownerId()).toList(), List.of()));
    assertThat(unfiltered.stream().filter(h -> h.ownerId().equals(small)).count()).isLessThan(10);
  }

  @Test
  void hitsComeNearestFirstWithTheirCosineSimilarity() {
    VectorIndex index = open();
    UUID owner = UUID.randomUUID();
    IndexChange.Upsert c = chunk(owner, UUID.randomUUID());
    index.apply(List.of(c, chunk(owner, UUID.randomUUID()), chunk(owner, UUID.randomUUID())), 1);

    List<VectorHit> hits = index.search(c.vector(), 3, ReadFilter.owners(owner));

    assertThat(hits.getFirst().chunkId()).isEqualTo(c.chunkId());
    assertThat(hits.getFirst().similarity()).isCloseTo(1.0f, org.assertj.core.data.Offset.offset(1e-5f));
    assertThat(hits).extracting(VectorHit::similarity).isSortedAccordingTo(Comparator.reverseOrder());
  }

  /**
   * Each hit carries its own chunk's ids and similarity, whichever segment it sits in: the ids are
   * read in document order across the segments, then put back in the order of nearness.
   */
  @Test
  void hitsAcrossSegmentsCarryTheirOwnIdsAndSimilarity() {
    VectorIndex index = open();
    java.util.Map<UUID, IndexChange.Upsert> written = new java.util.HashMap<>();
    List<UUID> owners = new ArrayList<>();
    long seq = 0;
    for (int segment = 0; segment < 5; segment++) { // each batch commits: a segment of its own
      List<IndexChange> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        UUID owner = UUID.randomUUID();
        owners.add(owner);
        IndexChange.Upsert c = chunk(owner, UUID.randomUUID());
        written.put(c.chunkId(), c);
        batch.add(c);
      }
      index.apply(batch, ++seq);
    }
    IndexChange.Upsert target = written.values().iterator().next();

    List<VectorHit> hits = index.search(target.vector(), 50, ReadFilter.of(owners, List.of()));

    assertThat(hits).hasSize(50);
    assertThat(hits.getFirst().chunkId()).isEqualTo(target.chunkId());
    assertThat(hits).extracting(VectorHit::similarity).isSortedAccordingTo(Comparator.reverseOrder());
    float[] query = unit(target.vector());
    for (VectorHit hit : hits) {
      IndexChange.Upsert c = written.get(hit.chunkId());
      assertThat(c).as("a chunk that was written").isNotNull();
      assertThat(hit.ownerId()).isEqualTo(c.ownerId());
      assertThat(hit.itemId()).isEqualTo(c.itemId());
      assertThat(hit.similarity()).as("similarity of " + hit.chunkId())
          .isCloseTo(dot(query, unit(c.vector())), org.assertj.core.data.Offset.offset(1e-4f));
    }
  }

  private static float[] unit(float[] v) {
    double norm = Math.sqrt(dot(v, v));
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (v[i] / norm);
    }
    return out;
  }

  private static float dot(float[] a, float[] b) {
    float sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  @Test
  void aDeletedItemIsNeverFoundAgainRightAfterTheDelete() {
    VectorIndex index = open();
    UUID owner = UUID.randomUUID();
    UUID doomed = UUID.randomUUID();
    UUID kept = UUID.randomUUID();
    IndexChange.Upsert target = chunk(owner, doomed);
    index.apply(List.of(target, chunk(owner, doomed), chunk(owner, kept)), 1);
    assertThat(index.search(target.vector(), 10, ReadFilter.owners(owner))).hasSize(3);

    index.deleteItem(doomed);

    assertThat(index.search(target.vector(), 10, ReadFilter.owners(owner)))
        .singleElement().satisfies(h -> assertThat(h.itemId()).isEqualTo(kept));
    assertThat(index.search(target.vector(), 10, ReadFilter.items(doomed))).isEmpty();
  }

  @Test
  void deletesThroughABatchAreSeenAtOnceToo() {
    VectorIndex index = open();
    UUID owner = UUID.randomUUID();
    IndexChange.Upsert a = chunk(owner, UUID.randomUUID());
    IndexChange.Upsert b = chunk(owner, UUID.randomUUID());
    index.apply(List.of(a, b), 1);

    index.apply(List.of(new IndexChange.DeleteChunk(a.chunkId())), 2);

    assertThat(index.search(a.vector(), 10, ReadFilter.owners(owner)))
        .extracting(VectorHit::chunkId).containsExactly(b.chunkId());
    index.apply(List.of(new IndexChange.DeleteOwner(owner)), 3);
    assertThat(index.size()).isZero();
  }

  @Test
  void anUpsertReplacesTheChunksVectorAndOwner() {
    VectorIndex index = open();
    UUID chunk = UUID.randomUUID();
    UUID item = UUID.randomUUID();
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    index.upsert(chunk, first, item, randomVector());

    float[] moved = randomVector();
    index.upsert(chunk, second, item, moved);

    assertThat(index.size()).isEqualTo(1);
    assertThat(index.search(moved, 5, ReadFilter.owners(first))).isEmpty();
    assertThat(index.search(moved, 5, ReadFilter.owners(second)))
        .singleElement().satisfies(h -> assertThat(h.chunkId()).isEqualTo(chunk));
  }

  @Test
  void aStrangersFilterSeesNothing() {
    strangersSeeNothing(open());
  }

  @Test
  void aStrangersFilterSeesNothingThroughTheGraphEither() {
    VectorIndex index = VectorIndex.open(dir, MODEL, DIMS, 0);
    opened.add(index);
    strangersSeeNothing(index);
  }

  private void strangersSeeNothing(VectorIndex index) {
    UUID owner = UUID.randomUUID();
    IndexChange.Upsert c = chunk(owner, UUID.randomUUID());
    index.apply(List.of(c, chunk(owner, UUID.randomUUID())), 1);

    assertThat(index.search(c.vector(), 10, ReadFilter.owners(UUID.randomUUID()))).isEmpty();
    assertThat(index.search(c.vector(), 10, ReadFilter.items(UUID.randomUUID()))).isEmpty();
    assertThat(index.search(c.vector(), 10, ReadFilter.nothing())).isEmpty();
  }

  @Test
  void anItemSharedAloneIsReadableWithoutTheRestOfItsOwnersChunks() {
    VectorIndex index = open();
    UUID owner = UUID.randomUUID();
    UUID shared = UUID.randomUUID();
    IndexChange.Upsert s = chunk(owner, shared);
    index.apply(List.of(s, chunk(owner, UUID.randomUUID()), chunk(owner, UUID.randomUUID())), 1);
    UUID reader = UUID.randomUUID();
    IndexChange.Upsert own = chunk(reader, UUID.randomUUID());
    index.apply(List.of(own), 2);

    List<VectorHit> hits = index.search(s.vector(), 10, ReadFilter.of(List.of(reader), List.of(shared)));

    assertThat(hits).extracting(VectorHit::chunkId).containsExactlyInAnyOrder(s.chunkId(), own.chunkId());
  }

  @Test
  void aRestartKeepsTheChunksAndTheAppliedSequence() {
    VectorIndex index = open();
    UUID owner = UUID.randomUUID();
    IndexChange.Upsert c = chunk(owner, UUID.randomUUID());
    index.apply(List.of(c, chunk(owner, UUID.randomUUID())), 42);
    index.close();
    opened.clear();

    VectorIndex reopened = open();

    assertThat(reopened.appliedThrough()).isEqualTo(42);
    assertThat(reopened.size()).isEqualTo(2);
    assertThat(reopened.search(c.vector(), 1, ReadFilter.owners(owner)))
        .singleElement().satisfies(h -> assertThat(h.chunkId()).isEqualTo(c.chunkId()));
  }

  @Test
  void aBatchEndingBelowTheAppliedSequenceIsRefused() {
    VectorIndex index = open();
    index.apply(List.of(chunk(UUID.randomUUID(), UUID.randomUUID())), 10);

    assertThatThrownBy(() -> index.apply(List.of(chunk(UUID.randomUUID(), UUID.randomUUID())), 9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("throughSeq: 9 (expected: at least the applied 10)");
    assertThat(index.size()).isEqualTo(1);
    index.apply(List.of(), 10); // a replay ending at the watermark is fine
    assertThat(index.appliedThrough()).isEqualTo(10);
  }

  @Test
  void aBatchWithABadVectorWritesNothing() {
    VectorIndex index = open();
    float[] nan = randomVector();
    nan[3] = Float.NaN;
    List<IndexChange> batch = List.of(
        chunk(UUID.randomUUID(), UUID.randomUUID()),
        new IndexChange.Upsert(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), nan));

    assertThatThrownBy(() -> index.apply(batch, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("vector: has a NaN or infinite value (expected: finite numbers)");
    assertThat(index.size()).isZero();
    assertThat(index.appliedThrough()).isZero();
    assertThatThrownBy(() -> index.upsert(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), new float[3]))
        .hasMessage("vector: 3 dimensions (expected: 32)");
    assertThatThrownBy(() -> index.search(new float[DIMS], 5, ReadFilter.nothing()))
        .hasMessage("query: all zeros (expected: a direction)");
    assertThatThrownBy(() -> index.search(randomVector(), 0, ReadFilter.nothing()))
        .hasMessage("k: 0 (expected: 1..1000)");
  }

  @Test
  void aRebuildReplacesEverythingAndRecordsItsSequence() {
    VectorIndex index = open();
    UUID owner = UUID.randomUUID();
    index.apply(List.of(chunk(owner, UUID.randomUUID()), chunk(owner, UUID.randomUUID())), 5);
    List<IndexChange.Upsert> fresh = Stream.generate(() -> chunk(owner, UUID.randomUUID())).limit(3).toList();

    index.rebuild(fresh.iterator(), 77);

    assertThat(index.appliedThrough()).isEqualTo(77);
    assertThat(index.search(randomVector(), 10, ReadFilter.owners(owner)))
        .extracting(VectorHit::chunkId)
        .containsExactlyInAnyOrderElementsOf(fresh.stream().map(IndexChange.Upsert::chunkId).toList());
  }

  @Test
  void aRebuildThatFailsMidwayLeavesAnEmptyIndexAtSequenceZero() {
    VectorIndex index = open();
    UUID owner = UUID.randomUUID();
    index.apply(List.of(chunk(owner, UUID.randomUUID())), 5);
    Iterator<IndexChange.Upsert> failing = new Iterator<>() {
      int served;

      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public IndexChange.Upsert next() {
        if (served++ == 2) {
          throw new UncheckedIOException(new IOException("database connection lost"));
        }
        return chunk(owner, UUID.randomUUID());
      }
    };

    assertThatThrownBy(() -> index.rebuild(failing, 9)).hasMessageContaining("database connection lost");
    assertThat(index.appliedThrough()).isZero();
    assertThat(index.size()).isZero();
  }

  @Test
  void anIndexOfAnotherModelIsDiscardedOnOpen() {
    try (VectorIndex old = VectorIndex.open(dir, "old-model", DIMS)) {
      old.apply(List.of(chunk(UUID.randomUUID(), UUID.randomUUID())), 12);
    }

    VectorIndex index = open();

    assertThat(index.appliedThrough()).isZero();
    assertThat(index.size()).isZero();
  }

  @Test
  void anIndexOfAnEarlierFormatIsDiscardedOnOpenAndRebuiltWithIdsASearchCanRead() throws IOException {
    IndexChange.Upsert before = chunk(UUID.randomUUID(), UUID.randomUUID());
    open().apply(List.of(before), 12);
    closeAll();
    opened.clear();
    // the commit data as format 1 wrote it: no cairn.format (its documents had no numeric ids)
    try (var directory = org.apache.lucene.store.FSDirectory.open(dir);
        var writer = new org.apache.lucene.index.IndexWriter(directory, new org.apache.lucene.index.IndexWriterConfig()
            .setOpenMode(org.apache.lucene.index.IndexWriterConfig.OpenMode.APPEND))) {
      writer.setLiveCommitData(java.util.Map.of(IndexIdentity.MODEL, MODEL, IndexIdentity.DIMENSIONS,
          Integer.toString(DIMS), IndexIdentity.APPLIED_THROUGH, "12").entrySet());
      writer.commit();
    }

    VectorIndex index = open();

    assertThat(index.appliedThrough()).as("rebuilt from PostgreSQL from the start").isZero();
    assertThat(index.size()).isZero();
    IndexChange.Upsert after = chunk(before.ownerId(), before.itemId());
    index.apply(List.of(after), 13);
    assertThat(index.search(after.vector(), 10, ReadFilter.owners(before.ownerId())))
        .singleElement().satisfies(hit -> {
          assertThat(hit.chunkId()).isEqualTo(after.chunkId());
          assertThat(hit.ownerId()).isEqualTo(before.ownerId());
          assertThat(hit.itemId()).isEqualTo(before.itemId());
        });
  }

  @Test
  void anUnreadableIndexIsDiscardedOnOpen() throws IOException {
    open().apply(List.of(chunk(UUID.randomUUID(), UUID.randomUUID())), 3);
    closeAll();
    opened.clear();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("segments_")).toList()) {
        Files.write(file, new byte[] {1, 2, 3, 4});
      }
    }

    VectorIndex index = open();

    assertThat(index.appliedThrough()).isZero();
    assertThat(index.size()).isZero();
    index.apply(List.of(chunk(UUID.randomUUID(), UUID.randomUUID())), 4);
    assertThat(index.size()).isEqualTo(1);
  }

  @Test
  void aSecondOpenOfTheSameDirectoryFailsClearly() {
    open();

    assertThatThrownBy(() -> VectorIndex.open(dir, MODEL, DIMS))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageStartingWith("cannot open the vector index in " + dir);
  }

  @Test
  void searchesRunWhileTheWriterWritesAndOnlyEverSeeTheirFilter() throws Exception {
    VectorIndex index = open();
    UUID mine = UUID.randomUUID();
    index.apply(IntStream.range(0, 200).mapToObj(i -> (IndexChange) chunk(i % 2 == 0 ? mine : UUID.randomUUID(), UUID.randomUUID())).toList(), 1);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<Integer>> searches = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        searches.add(pool.submit(() -> {
          int found = 0;
          Random r = new Random();
          for (int i = 0; i < 200; i++) {
            float[] q = new float[DIMS];
            for (int d = 0; d < DIMS; d++) {
              q[d] = (float) r.nextGaussian();
            }
            List<VectorHit> hits = index.search(q, 10, ReadFilter.owners(mine));
            assertThat(hits).allSatisfy(h -> assertThat(h.ownerId()).isEqualTo(mine));
            found += hits.size();
          }
          return found;
        }));
      }
      for (int i = 0; i < 20; i++) {
        index.apply(List.of(chunk(i % 2 == 0 ? mine : UUID.randomUUID(), UUID.randomUUID())), 2 + i);
      }
      for (Future<Integer> search : searches) {
        assertThat(search.get()).isEqualTo(200 * 10);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aClosedIndexRefusesWork() {
    VectorIndex index = VectorIndex.open(dir, MODEL, DIMS);
    index.close();

    assertThatThrownBy(() -> index.search(randomVector(), 1, ReadFilter.owners(UUID.randomUUID())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the vector index in " + dir + " is closed");
    assertThatThrownBy(() -> index.deleteItem(UUID.randomUUID())).isInstanceOf(IllegalStateException.class);
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}
