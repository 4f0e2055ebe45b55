package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.db.NotificationListener;
import dev.cairn.server.search.vector.ReadFilter;
import dev.cairn.server.search.vector.VectorHit;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a replica's vector index follows PostgreSQL (V22): by LISTEN/NOTIFY without polling, with
 * a catch-up after its listening connection was lost, without losing a change whose number
 * committed after a higher one, without serialising different owners' writes, and the backfill of
 * chunks that have no vector.
 */
class VectorSyncTest {
  private static final String CARDIOLOGY = "The cardiologist prescribed beta blockers for hypertension.";
  private static final String BAKERY = "The bakery on the corner sells sourdough loaves and almond croissants.";

  private static VectorSync listeningReplica(Path dir, NotificationListener.Connector connector) {
    var embedder = SERVER.server().embedder();
    // no poll: only notifications move this replica
    return VectorSync.open(SERVER.server().database(), dir, embedder.modelId(), embedder.dimensions(), null,
        connector, new SimpleMeterRegistry());
  }

  private static NotificationListener.Connector connector() {
    return () -> SERVER.server().database().openDedicatedConnection("test-vector-listener");
  }

  private static List<UUID> itemsFound(VectorSync replica, TestUser owner, String query) {
    float[] vector = SERVER.server().embedder().embedQuery(query);
    return replica.search(vector, 10, ReadFilter.owners(id(owner))).stream().map(VectorHit::itemId).distinct().toList();
  }

  private static void eventually(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
      Thread.onSpinWait();
      try {
        Thread.sleep(10); // polling a condition with a deadline, not synchronising
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static Connection superuserConnection() throws SQLException {
    return DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
  }

  /** Adds one more chunk to the item (a copy of its first, vector included), as the superuser on {@code c}. */
  private static void copyFirstChunk(Connection c, String item, int ordinal) throws SQLException {
    try (var ps = c.prepareStatement("""
        INSERT INTO cairn.search_chunks (owner_id, item_id, version, ordinal, page, start_cp, end_cp, language,
                                         ciphertext, tsv, embedding, embedding_model)
        SELECT owner_id, item_id, version, ?, page, start_cp, end_cp, language, ciphertext, tsv, embedding, embedding_model
          FROM cairn.search_chunks WHERE item_id = ? AND ordinal = 0""")) {
      ps.setInt(1, ordinal);
      ps.setObject(2, id(item));
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  private static long chunksIn(VectorSync replica, String item) {
    float[] any = SERVER.server().embedder().embedQuery("anything");
    return replica.search(any, 100, ReadFilter.items(id(item))).size();
  }

  @Test
  void aListeningReplicaPicksUpAnotherReplicasIndexingWithoutPollingOrBeingAsked(@TempDir Path dir) {
    TestUser alice = SERVER.newUser("alice");
    try (VectorSync replica = listeningReplica(dir, connector())) {
      eventually("listening", replica::listening);
      String heart = text(alice, CARDIOLOGY);
      index(); // the test server's indexer writes the chunks: "another replica" for this one

      eventually("the new item's vector", () -> itemsFound(replica, alice, "heart doctor").contains(id(heart)));
    }
  }

  @Test
  void aReplicaCatchesUpWhatWasWrittenWhileItsListeningConnectionWasDown(@TempDir Path dir) throws Exception {
    TestUser alice = SERVER.newUser("alice");
    var down = new java.util.concurrent.atomic.AtomicBoolean();
    NotificationListener.Connector real = connector();
    NotificationListener.Connector flaky = () -> {
      if (down.get()) {
        throw new SQLException("database unreachable (test)");
      }
      return real.open();
    };
    try (VectorSync replica = listeningReplica(dir, flaky)) {
      eventually("listening", replica::listening);
      down.set(true);
      try (Connection c = superuserConnection(); Statement s = c.createStatement()) {
        s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'test-vector-listener'");
      }
      eventually("the connection noticed lost", () -> !replica.listening());
      String bakery = text(alice, BAKERY);
      index(); // committed (and notified) while nobody listened

      down.set(false);
      eventually("the vector written meanwhile", () -> itemsFound(replica, alice, "bread shop").contains(id(bakery)));
    }
  }

  @Test
  void aChangeNumberThatCommitsAfterAHigherOneIsAppliedAndNeverSkipped(@TempDir Path dir) throws Exception {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String alices = text(alice, CARDIOLOGY);
    String bobs = text(bob, BAKERY);
    index();
    var embedder = SERVER.server().embedder();
    try (VectorSync replica = VectorSync.open(SERVER.server().database(), dir, embedder.modelId(), embedder.dimensions(), null);
        Connection slow = superuserConnection();
        Connection fast = superuserConnection()) {
      slow.setAutoCommit(false);
      copyFirstChunk(slow, alices, 1); // takes the lower change number, commits last
      copyFirstChunk(fast, bobs, 1); // autocommit: a higher number, committed first
      replica.catchUp();
      assertThat(chunksIn(replica, bobs)).isEqualTo(2);
      assertThat(chunksIn(replica, alices)).isEqualTo(1);
      long markWhileOpen = replica.appliedThrough();

      slow.commit();
      replica.catchUp();

      assertThat(chunksIn(replica, alices)).isEqualTo(2);
      assertThat(chunksIn(replica, bobs)).isEqualTo(2);
      assertThat(replica.appliedThrough()).isGreaterThan(markWhileOpen);
    }
  }

  @Test
  void differentOwnersChunkWritesDoNotWaitForEachOther() throws Exception {
    TestUser alice = SERVER.newUser("alice");
    TestUser bob = SERVER.newUser("bob");
    String alices = text(alice, CARDIOLOGY);
    String bobs = text(bob, BAKERY);
    index();
    try (Connection open = superuserConnection(); Connection other = superuserConnection()) {
      open.setAutoCommit(false);
      copyFirstChunk(open, alices, 1); // holds alice's lock until it ends
      try (Statement s = other.createStatement()) {
        s.execute("SET lock_timeout = '2s'"); // V20's global lock would make this fail
      }

      copyFirstChunk(other, bobs, 1);

      open.rollback();
    }
  }

  @Test
  void chunksWithoutAVectorAreQueuedForReindexingAndGetOne() {
    TestUser alice = SERVER.newUser("alice");
    String heart = text(alice, CARDIOLOGY);
    index();
    // as chunks indexed before V20 were: no vector, no model
    superuser("UPDATE cairn.search_chunks SET embedding = NULL, embedding_model = NULL WHERE item_id = ? RETURNING 1", id(heart));

    int queued = indexer().enqueueVectorBackfill(8);
    index();

    assertThat(queued).isPositive();
    assertThat(superuser("SELECT count(*) FROM cairn.search_chunks WHERE item_id = ? AND embedding IS NULL", id(heart)))
        .containsExactly("0");
    assertThat(superuser("SELECT DISTINCT embedding_model FROM cairn.search_chunks WHERE item_id = ?", id(heart)))
        .containsExactly(SERVER.server().embedder().modelId());
    SERVER.server().vectors().catchUp();
    float[] query = SERVER.server().embedder().embedQuery("heart doctor");
    assertThat(SERVER.server().vectors().search(query, 10, ReadFilter.items(id(heart)))).isNotEmpty();
    assertThat(indexer().enqueueVectorBackfill(8)).isZero();
  }
}
