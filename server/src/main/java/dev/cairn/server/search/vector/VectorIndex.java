package dev.cairn.server.search.vector;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KeywordField;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.ConjunctionUtils;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.ScorerSupplier;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.VectorScorer;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Lucene HNSW index of chunk vectors in a local directory: this replica's derived copy of the
 * vectors in PostgreSQL. Each commit records the last change sequence applied ({@link
 * #appliedThrough()}), so after a restart the caller applies only what PostgreSQL changed since.
 *
 * <p>Searches filter by the caller's {@link ReadFilter} inside the graph search (Lucene visits
 * only matching chunks as candidates, and turns to an exact scan when the filter is selective),
 * so a caller who can read 1% of the index still gets k results; a caller who can read at most
 * {@link #EXACT_MAX} chunks has each of them compared with the query instead (exact, and faster).
 * Every write is visible to the next search (the near-real-time reader is refreshed before the
 * write returns): a deleted item is never found again.
 *
 * <p>Thread-safe: any number of concurrent searches, writes serialised.
 */
public final class VectorIndex implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VectorIndex.class);

  static final String CHUNK = "chunk";
  static final String OWNER = "owner";
  static final String ITEM = "item";
  static final String VECTOR = "vector";

  /** Far more than a page of results; bounds the graph search a caller can ask for. */
  public static final int MAX_K = 1000;

  /**
   * Up to this many readable chunks, a search compares the query with each of them instead of
   * walking the graph: exact, and faster at that size. Measured with 384 dimensions, k = 100
   * (random unit vectors, {@code --add-modules jdk.incubator.vector}): 1,800 readable chunks 0.13 ms
   * exact against 0.27 ms through the graph; 9,000 in ten segments 0.66-1.09 against 1.42-1.55 ms
   * (the graph's recall 0.979); 27,000 5.5 against 2.2 ms, where the graph wins.
   */
  static final int EXACT_MAX = 10_000;

  private final Path path;
  private final IndexIdentity identity;
  private final Directory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private final ReentrantLock writes = new ReentrantLock();
  private volatile long appliedThrough;
  private volatile boolean closed;
  private final int exactMax;

  private VectorIndex(Path path, IndexIdentity identity, Directory directory, IndexWriter writer, long appliedThrough,
      int exactMax) throws IOException {
    this.exactMax = exactMax;
    this.path = path;
    this.identity = identity;
    this.directory = directory;
    this.writer = writer;
    this.searchers = new SearcherManager(writer, null);
    this.appliedThrough = appliedThrough;
  }

  /**
   * Opens (or creates) the index in {@code path} for vectors of {@code modelId}. An index built by
   * another model or with other dimensions, or one that cannot be read, is discarded: it opens
   * empty with {@code appliedThrough() == 0}, to be rebuilt from PostgreSQL.
   */
  public static VectorIndex open(Path path, String modelId, int dimensions) {
    return open(path, modelId, dimensions, EXACT_MAX);
  }

  /**
   * As {@link #open(Path, String, int)}, comparing exactly up to {@code exactMax} readable chunks
   * (tests: 0 always walks the graph).
   */
  static VectorIndex open(Path path, String modelId, int dimensions, int exactMax) {
    requireNonNull(path, "path");
    IndexIdentity identity = new IndexIdentity(modelId, dimensions);
    try {
      Files.createDirectories(path);
      Directory directory = FSDirectory.open(path);
      IndexIdentity.Found found = IndexIdentity.read(directory);
      boolean fresh = !identity.equals(found.identity());
      if (fresh && found.exists()) {
        log.info("vector index in {} was built for {}; discarding it for {}", path, found.describe(), identity);
        if (found.identity() == null) {
          clear(directory); // unreadable: even OpenMode.CREATE would try to read its last commit
        }
      }
      IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig()
          .setOpenMode(fresh ? IndexWriterConfig.OpenMode.CREATE : IndexWriterConfig.OpenMode.APPEND)
          .setRAMBufferSizeMB(64));
      long applied = fresh ? 0 : found.appliedThrough();
      if (fresh) {
        writer.setLiveCommitData(identity.commitData(0).entrySet());
        writer.commit();
      }
      VectorIndex index = new VectorIndex(path, identity, directory, writer, applied, exactMax);
      log.info("vector index in {} opened: {} chunks, applied through change {}", path, index.size(), applied);
      return index;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the vector index in " + path, e);
    }
  }

  private static void clear(Directory directory) throws IOException {
    for (String file : directory.listAll()) {
      if (!file.equals(IndexWriter.WRITE_LOCK_NAME)) {
        directory.deleteFile(file);
      }
    }
  }

  /** The last change sequence whose effects are durably in the index; 0 for a new index. */
  public long appliedThrough() {
    return appliedThrough;
  }

  /**
   * Applies a batch of changes in order and records {@code throughSeq} as applied, in one
   * commit. Every vector is checked before anything is written. Replaying changes already
   * applied is harmless (each change sets or removes chunks), so a batch may start at or below
   * the watermark; one ending below it is refused, since it would roll the index back.
   */
  public void apply(List<IndexChange> batch, long throughSeq) {
    requireNonNull(batch, "batch");
    List<IndexChange> checked = batch.stream().map(this::checked).toList();
    withWriter(() -> {
      if (throughSeq < appliedThrough) {
        throw new IllegalArgumentException(
            "throughSeq: " + throughSeq + " (expected: at least the applied " + appliedThrough + ")");
      }
      for (IndexChange change : checked) {
        write(change);
      }
      commit(throughSeq);
    });
  }

  /**
   * Replaces the whole content with {@code all} (every chunk vector, as of {@code throughSeq})
   * in one commit; searches see the old content until it is done. If reading {@code all} fails
   * midway the index is left empty at sequence 0, so that the next catch-up starts over.
   */
  public void rebuild(Iterator<IndexChange.Upsert> all, long throughSeq) {
    requireNonNull(all, "all");
    withWriter(() -> {
      long started = System.nanoTime();
      writer.deleteAll();
      try {
        while (all.hasNext()) {
          write(checked(all.next()));
        }
      } catch (RuntimeException | IOException e) {
        writer.deleteAll();
        commit(0);
        throw e;
      }
      commit(throughSeq);
      log.info("vector index in {} rebuilt: {} chunks through change {} in {} ms",
          path, size(), throughSeq, (System.nanoTime() - started) / 1_000_000);
    });
  }

  /** Writes one chunk's vector, visible to the next search (not yet committed). */
  public void upsert(UUID chunkId, UUID ownerId, UUID itemId, float[] vector) {
    IndexChange change = checked(new IndexChange.Upsert(chunkId, ownerId, itemId, vector));
    withWriter(() -> {
      write(change);
      searchers.maybeRefreshBlocking();
    });
  }

  public void deleteChunk(UUID chunkId) {
    writeOne(new IndexChange.DeleteChunk(chunkId));
  }

  public void deleteItem(UUID itemId) {
    writeOne(new IndexChange.DeleteItem(itemId));
  }

  public void deleteOwner(UUID ownerId) {
    writeOne(new IndexChange.DeleteOwner(ownerId));
  }

  /**
   * The {@code k} chunks nearest to {@code query} among those {@code allowed} covers, nearest
   * first; fewer only when fewer are readable.
   */
  public List<VectorHit> search(float[] query, int k, ReadFilter allowed) {
    requireNonNull(allowed, "allowed");
    if (k < 1 || k > MAX_K) {
      throw new IllegalArgumentException("k: " + k + " (expected: 1.." + MAX_K + ")");
    }
    float[] target = Unit.vector(query, identity.dimensions(), "query");
    if (allowed.isEmpty()) {
      return List.of();
    }
    IndexSearcher searcher = acquire();
    try {
      Query filter = allowed.toQuery();
      ScorerSupplier[] readable = readableAtMost(searcher, filter, exactMax);
      ScoreDoc[] nearest = readable != null
          ? exact(searcher, readable, target, k)
          : searcher.search(new KnnFloatVectorQuery(VECTOR, target, k, filter), k).scoreDocs;
      return hits(searcher, nearest);
    } catch (IOException e) {
      throw new UncheckedIOException("vector search in " + path + " failed", e);
    } finally {
      release(searcher);
    }
  }

  /**
   * The filter's matches per leaf (null where a leaf has none) when they are at most {@code limit}
   * in all (the matching terms' document counts); null when there are more, for the graph search.
   */
  private static ScorerSupplier @Nullable [] readableAtMost(IndexSearcher searcher, Query filter, int limit)
      throws IOException {
    if (limit <= 0) {
      return null;
    }
    Weight readable = searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
    List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
    ScorerSupplier[] perLeaf = new ScorerSupplier[leaves.size()];
    long cost = 0;
    for (LeafReaderContext leaf : leaves) {
      perLeaf[leaf.ord] = readable.scorerSupplier(leaf);
      cost += perLeaf[leaf.ord] == null ? 0 : perLeaf[leaf.ord].cost();
      if (cost > limit) {
        return null;
      }
    }
    return perLeaf;
  }

  /**
   * The {@code k} readable live chunks most similar to {@code target}, each compared (with the
   * same SIMD dot product and score the graph search uses): best first, ties by document.
   */
  private static ScoreDoc[] exact(IndexSearcher searcher, ScorerSupplier[] readable, float[] target, int k)
      throws IOException {
    PriorityQueue<ScoreDoc> worstFirst = new PriorityQueue<>(k + 1, (x, y) -> x.score != y.score
        ? Float.compare(x.score, y.score) : Integer.compare(y.doc, x.doc));
    for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
      FloatVectorValues vectors = leaf.reader().getFloatVectorValues(VECTOR);
      if (vectors == null || readable[leaf.ord] == null) {
        continue;
      }
      Scorer allowed = readable[leaf.ord].get(Long.MAX_VALUE);
      VectorScorer similarity = vectors.scorer(target);
      DocIdSetIterator both = ConjunctionUtils.intersectIterators(List.of(allowed.iterator(), similarity.iterator()));
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = both.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = both.nextDoc()) {
        if (live != null && !live.get(doc)) {
          continue;
        }
        float score = similarity.score();
        if (worstFirst.size() < k) {
          worstFirst.add(new ScoreDoc(leaf.docBase + doc, score));
        } else if (score > worstFirst.peek().score) {
          worstFirst.poll();
          worstFirst.add(new ScoreDoc(leaf.docBase + doc, score));
        }
      }
    }
    ScoreDoc[] best = new ScoreDoc[worstFirst.size()];
    for (int i = best.length - 1; i >= 0; i--) {
      best[i] = worstFirst.poll();
    }
    return best;
  }

  /**
   * The hits' ids, nearest first, read from numeric doc values (each id's two 64-bit halves):
   * columnar and uncompressed. The stored fields decompressed a block of documents for each hit
   * (LZ4: a quarter of the graph search's CPU for 100 hits), and so did the keyword fields' sorted
   * doc values, whose terms dictionary is LZ4 blocks (a HYBRID search's profile, 2026-12-03: 4.9%
   * of the server's CPU in these look-ups, 53 of its 101 samples in LZ4). Doc values are read
   * forward, so the hits are visited in document order, each leaf's iterators made once.
   */
  private static List<VectorHit> hits(IndexSearcher searcher, ScoreDoc[] docs) throws IOException {
    Integer[] byDoc = new Integer[docs.length];
    for (int i = 0; i < docs.length; i++) {
      byDoc[i] = i;
    }
    Arrays.sort(byDoc, Comparator.comparingInt(i -> docs[i].doc));
    List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
    VectorHit[] hits = new VectorHit[docs.length];
    LeafReaderContext leaf = null;
    IdValues chunks = null;
    IdValues owners = null;
    IdValues items = null;
    for (int i : byDoc) {
      int doc = docs[i].doc;
      if (leaf == null || doc >= leaf.docBase + leaf.reader().maxDoc()) {
        leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        chunks = IdValues.of(leaf.reader(), CHUNK);
        owners = IdValues.of(leaf.reader(), OWNER);
        items = IdValues.of(leaf.reader(), ITEM);
      }
      int inLeaf = doc - leaf.docBase;
      hits[i] = new VectorHit(chunks.uuid(inLeaf), owners.uuid(inLeaf), items.uuid(inLeaf),
          2 * docs[i].score - 1); // Lucene scores a dot product d as (1 + d) / 2
    }
    return List.of(hits);
  }

  /** The two numeric doc values an id is kept in: its most and least significant 64 bits. */
  private static String highField(String field) {
    return field + ".hi";
  }

  private static String lowField(String field) {
    return field + ".lo";
  }

  /** One leaf's iterators over an id's two halves. */
  private record IdValues(String field, NumericDocValues high, NumericDocValues low) {
    static IdValues of(LeafReader reader, String field) throws IOException {
      return new IdValues(field, DocValues.getNumeric(reader, highField(field)), DocValues.getNumeric(reader, lowField(field)));
    }

    UUID uuid(int doc) throws IOException {
      if (!high.advanceExact(doc) || !low.advanceExact(doc)) {
        throw new IllegalStateException("a vector without its " + field + " id (document " + doc + ")");
      }
      return new UUID(high.longValue(), low.longValue());
    }
  }

  /** Chunks in the index, as the next search sees them. */
  public int size() {
    IndexSearcher searcher = acquire();
    try {
      return searcher.getIndexReader().numDocs();
    } finally {
      release(searcher);
    }
  }

  private IndexChange checked(IndexChange change) {
    if (change instanceof IndexChange.Upsert u) {
      return new IndexChange.Upsert(
          u.chunkId(), u.ownerId(), u.itemId(), Unit.vector(u.vector(), identity.dimensions(), "vector"));
    }
    return requireNonNull(change, "change");
  }

  private void write(IndexChange change) throws IOException {
    switch (change) {
      case IndexChange.Upsert u -> writer.updateDocument(new Term(CHUNK, u.chunkId().toString()), document(u));
      case IndexChange.DeleteChunk d -> writer.deleteDocuments(new Term(CHUNK, d.chunkId().toString()));
      case IndexChange.DeleteItem d -> writer.deleteDocuments(new Term(ITEM, d.itemId().toString()));
      case IndexChange.DeleteOwner d -> writer.deleteDocuments(new Term(OWNER, d.ownerId().toString()));
    }
  }

  private static Document document(IndexChange.Upsert u) {
    Document doc = new Document();
    // indexed (deletes by term; the owner and item also filter, as keyword fields), not stored;
    // a search reads the ids from the numeric halves
    doc.add(new StringField(CHUNK, u.chunkId().toString(), Field.Store.NO));
    doc.add(new KeywordField(OWNER, u.ownerId().toString(), Field.Store.NO));
    doc.add(new KeywordField(ITEM, u.itemId().toString(), Field.Store.NO));
    addId(doc, CHUNK, u.chunkId());
    addId(doc, OWNER, u.ownerId());
    addId(doc, ITEM, u.itemId());
    // unit vectors: the dot product is the cosine, without Lucene normalising each comparison
    doc.add(new KnnFloatVectorField(VECTOR, u.vector(), VectorSimilarityFunction.DOT_PRODUCT));
    return doc;
  }

  private static void addId(Document doc, String field, UUID id) {
    doc.add(new NumericDocValuesField(highField(field), id.getMostSignificantBits()));
    doc.add(new NumericDocValuesField(lowField(field), id.getLeastSignificantBits()));
  }

  private void writeOne(IndexChange change) {
    withWriter(() -> {
      write(change);
      searchers.maybeRefreshBlocking();
    });
  }

  private void commit(long throughSeq) throws IOException {
    writer.setLiveCommitData(identity.commitData(throughSeq).entrySet());
    writer.commit();
    appliedThrough = throughSeq;
    searchers.maybeRefreshBlocking();
  }

  private interface WriterWork {
    void run() throws IOException;
  }

  private void withWriter(WriterWork work) {
    writes.lock();
    try {
      checkOpen();
      work.run();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the vector index in " + path + " failed", e);
    } catch (AlreadyClosedException e) {
      throw new IllegalStateException("the vector index in " + path + " is closed", e);
    } finally {
      writes.unlock();
    }
  }

  private IndexSearcher acquire() {
    checkOpen();
    try {
      return searchers.acquire();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the vector index in " + path, e);
    } catch (AlreadyClosedException e) {
      throw new IllegalStateException("the vector index in " + path + " is closed", e);
    }
  }

  private void release(IndexSearcher searcher) {
    try {
      searchers.release(searcher);
    } catch (IOException e) {
      log.warn("releasing a searcher of {} failed", path, e);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the vector index in " + path + " is closed");
    }
  }

  /** Commits what was written (at the current watermark) and closes the files. */
  @Override
  public void close() {
    writes.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      searchers.close();
      writer.setLiveCommitData(identity.commitData(appliedThrough).entrySet());
      writer.close();
      directory.close();
    } catch (IOException e) {
      throw new UncheckedIOException("closing the vector index in " + path + " failed", e);
    } finally {
      writes.unlock();
    }
  }
}
