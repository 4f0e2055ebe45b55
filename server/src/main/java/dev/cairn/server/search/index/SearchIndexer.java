package dev.cairn.server.search.index;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.content.StoredVersion;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Now;
import dev.cairn.server.db.Database;
import dev.cairn.server.jobs.ClaimedJob;
import dev.cairn.server.jobs.Job;
import dev.cairn.server.jobs.JobHandler;
import dev.cairn.server.jobs.JobQueue;
import dev.cairn.server.search.ChunkWords;
import dev.cairn.server.search.Languages;
import dev.cairn.server.search.embed.BatchingEmbedder;
import dev.cairn.server.search.embed.Embedder;
import dev.cairn.server.search.index.IndexRepository.ItemState;
import dev.cairn.server.search.index.IndexRepository.StoredChunk;
import dev.cairn.server.search.ingest.Chunk;
import dev.cairn.server.search.ingest.Chunker;
import dev.cairn.server.search.ingest.ExtractionException;
import dev.cairn.server.search.ingest.ExtractionSettings;
import dev.cairn.server.search.ingest.Extractor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@value #KIND} job: brings one item's chunks in step with the item. It reads the content
 * through the content store (one short transaction per segment, as the owner), extracts and chunks
 * it and embeds the chunks (batched model calls) outside any transaction, then replaces the version's chunks in one short transaction that
 * first locks the item and checks it still has that version, so an older version's run never
 * overwrites a newer one. Running twice leaves one set of chunks. A permanent extraction failure
 * is recorded in the status and the job ends (no retry: the same bytes fail the same way); any
 * other failure throws, and the queue retries with backoff.
 */
public final class SearchIndexer {
  private static final Logger log = LoggerFactory.getLogger(SearchIndexer.class);
  public static final String KIND = "search-index";

  private final Database database;
  private final ContentStore content;
  private final Extractor extractor;
  private final ExtractionSettings extraction;
  private final Chunker chunker;
  private final Embedder embedder;
  private final Clock clock;
  private final IndexRepository repository = new IndexRepository();
  private final Counter chunksIndexed;
  private final io.micrometer.core.instrument.Timer embedTime;
  private final IndexStages stages;
  private final java.util.concurrent.ConcurrentHashMap<String, String> knownLanguages = new java.util.concurrent.ConcurrentHashMap<>();
  private final MeterRegistry metrics;

  public SearchIndexer(Database database, ContentStore content, ExtractionSettings extraction, Chunker chunker,
      Embedder embedder, Clock clock, MeterRegistry metrics) {
    this.database = requireNonNull(database, "database");
    this.content = requireNonNull(content, "content");
    this.extraction = requireNonNull(extraction, "extraction");
    this.extractor = new Extractor(extraction);
    this.chunker = requireNonNull(chunker, "chunker");
    this.embedder = requireNonNull(embedder, "embedder");
    this.clock = requireNonNull(clock, "clock");
    this.metrics = requireNonNull(metrics, "metrics");
    this.chunksIndexed = Counter.builder("cairn.search.chunks.indexed").description("search chunks written by the index job")
        .register(metrics);
    this.embedTime = io.micrometer.core.instrument.Timer.builder("cairn.search.embed.latency")
        .description("embedding one item's chunks in the index job").register(metrics);
    this.stages = new IndexStages(metrics);
  }

  /** The job for an item; one pending per item (the run indexes whatever version is current then). */
  public static Job job(UUID owner, UUID item) {
    JsonObject payload = new JsonObject();
    payload.addProperty("item", item.toString());
    return Job.of(KIND, owner).withPayload(payload.toString()).withDedupeKey(item.toString());
  }

  /** Enqueues the item's index job in the caller's transaction. */
  public static void enqueue(JobQueue queue, DSLContext sql, UUID owner, UUID item) {
    queue.enqueue(sql, job(owner, item));
  }

  /**
   * Enqueues the index job of every item whose chunks have no vector (indexed before vectors
   * existed, V20), for every owner; the jobs embed them outside any transaction. Cheap when there
   * are none (a partial index), so every start runs it. Returns how many were queued.
   */
  public int enqueueVectorBackfill(int maxAttempts) {
    int queued = database.transaction(dev.cairn.server.core.Principal.anonymous(), sql -> sql.resultQuery(
        "SELECT cairn.enqueue_vector_backfill({0})", org.jooq.impl.DSL.val(maxAttempts)).fetchSingle().get(0, Integer.class));
    if (queued > 0) {
      log.info("queued {} items whose chunks have no vector for re-indexing", queued);
    }
    return queued;
  }

  public JobHandler handler() {
    return JobHandler.of(KIND, job -> sync(job.requireOwner(), item(job)));
  }

  private static UUID item(ClaimedJob job) {
    return UUID.fromString(JsonParser.parseString(job.payload()).getAsJsonObject().get("item").getAsString());
  }

  /** Brings the item's index in step with its current state. */
  public IndexOutcome sync(UUID owner, UUID item) throws Exception {
    try (Announced announced = announce()) {
      return sync(owner, item, announced);
    }
  }

  /**
   * Tells the batcher this job will submit passages soon, so that a batch about to start waits a
   * bounded few milliseconds for them rather than leaving them for the next one.
   */
  private Announced announce() {
    return new Announced(embedder instanceof BatchingEmbedder batcher ? batcher.announce() : null);
  }

  private record Announced(BatchingEmbedder.@Nullable Announcement announcement) implements AutoCloseable {
    @Override
    public void close() {
      if (announcement != null) {
        announcement.close();
      }
    }
  }

  private IndexOutcome sync(UUID owner, UUID item, Announced announced) throws Exception {
    Caller caller = Caller.system(owner, KIND);
    long t0 = System.nanoTime();
    // one transaction reads the state and, when it is behind, the version and its content
    @Nullable Read read = database.transaction(caller, sql -> {
      ItemState state = repository.state(sql, item, false);
      if (state == null || !state.searchable() || state.deleted() || upToDate(state)) {
        return new Read(state, null, null);
      }
      return readVersion(sql, owner, item, state, state.version());
    });
    ItemState state = read.state();
    if (state == null || !state.searchable() || state.deleted()) {
      return remove(caller, item);
    }
    if (read.stored() == null) {
      return IndexOutcome.UP_TO_DATE;
    }
    return index(caller, owner, item, read, t0, announced);
  }

  private boolean upToDate(ItemState state) {
    return state.indexedVersion() == state.version() && !state.reindexRequested()
        && state.language().equals(state.indexedLanguage()) && embedder.modelId().equals(state.indexedModel());
  }

  /** Indexes {@code version} of the item, unless the item has moved on by the time it is written. */
  public IndexOutcome indexVersion(UUID owner, UUID item, int version) throws Exception {
    Caller caller = Caller.system(owner, KIND);
    long t0 = System.nanoTime();
    try (Announced announced = announce()) {
      var read = database.transaction(caller, sql -> {
        ItemState state = repository.state(sql, item, false);
        return state == null ? null : readVersion(sql, owner, item, state, version);
      });
      if (read == null) {
        return remove(caller, item);
      }
      return index(caller, owner, item, read, t0, announced);
    }
  }

  /**
   * The version and, when it is a document small enough to read whole, its content, in the
   * caller's transaction (a larger one streams afterwards, a transaction per segment).
   */
  private Read readVersion(DSLContext sql, UUID owner, UUID item, ItemState state, int version) {
    StoredVersion stored = content.version(sql, item, version);
    byte @Nullable [] bytes = null;
    if (!stored.isRecord() && stored.sizeBytes() <= Math.min(extraction.maxInputBytes(), content.inlineMaxBytes())) {
      bytes = content.readSmall(sql, owner, stored);
    }
    return new Read(state, stored, bytes);
  }

  private IndexOutcome index(Caller caller, UUID owner, UUID item, Read read, long t0, Announced announced)
      throws Exception {
    StoredVersion stored = requireNonNull(read.stored(), "stored");
    int version = stored.version();
    List<Chunk> chunks;
    try {
      byte[] bytes = read.content() != null ? read.content() : readContent(caller, owner, stored);
      long t1 = stages.record(IndexStages.READ, t0);
      chunks = chunker.chunk(extractor.extract(stored.mediaType(), bytes));
      stages.record(IndexStages.EXTRACT, t1);
    } catch (ExtractionException e) {
      announced.close();
      return failed(caller, item, version, e);
    }
    // the words' spans for highlighting, through the parser once now rather than in every search
    // that hits these chunks (a short read of its own: no lock is held while it runs)
    ItemState state = requireNonNull(read.state(), "state");
    Spans spans = database.transaction(caller, sql -> {
      String language = language(sql, state.language());
      return new Spans(language, ChunkWords.of(sql, chunks.stream().map(Chunk::text).toList(),
          Collections.nCopies(chunks.size(), language)));
    });
    long started = System.nanoTime();
    List<String> passages = chunks.stream().map(Chunk::embeddingText).toList();
    float[][] vectors = embedder instanceof BatchingEmbedder batcher && announced.announcement() != null
        ? batcher.embedPassages(passages, announced.announcement())
        : embedder.embedPassages(passages);
    embedTime.record(java.time.Duration.ofNanos(System.nanoTime() - started));
    long t2 = stages.record(IndexStages.EMBED, started);
    IndexOutcome outcome = write(caller, owner, item, version, chunks, vectors, spans);
    stages.record(IndexStages.WRITE, t2);
    return outcome;
  }

  /** The chunks' word spans, worked out in {@code language}. */
  private record Spans(String language, List<WordSpans> words) {}

  /** What the read transaction found: no stored version when there is nothing to index. */
  private record Read(@Nullable ItemState state, @Nullable StoredVersion stored, byte @Nullable [] content) {}

  private byte[] readContent(Caller caller, UUID owner, StoredVersion stored) throws ExtractionException {
    if (stored.isRecord()) {
      throw new ExtractionException(ExtractionException.Reason.UNSUPPORTED_MEDIA_TYPE,
          "records are not indexed for full-text search (expected: a document)");
    }
    if (stored.sizeBytes() > extraction.maxInputBytes()) {
      throw new ExtractionException(ExtractionException.Reason.TOO_LARGE,
          "content: " + stored.sizeBytes() + " bytes (the limit is " + extraction.maxInputBytes() + ")");
    }
    var bytes = new ByteArrayOutputStream((int) stored.sizeBytes());
    content.readDocument(caller.principal(), owner, stored, bytes::writeBytes);
    return bytes.toByteArray();
  }

  private IndexOutcome write(Caller caller, UUID owner, UUID item, int version, List<Chunk> chunks, float[][] vectors,
      Spans spans) {
    return database.transaction(caller, sql -> {
      ItemState now = repository.state(sql, item, true);
      if (now == null || !now.searchable() || now.deleted()) {
        return removeLocked(sql, owner, item);
      }
      if (now.version() != version || now.indexedVersion() > version) {
        return IndexOutcome.SUPERSEDED;
      }
      String language = language(sql, now.language());
      var texts = content.chunkTexts(sql, owner, true);
      // the item's language changed since the spans were worked out: store none (searches parse)
      boolean spansHold = spans.language().equals(language);
      List<StoredChunk> stored = new ArrayList<>(chunks.size());
      for (int i = 0; i < chunks.size(); i++) {
        Chunk c = chunks.get(i);
        byte[] plaintext = new ChunkText(c.text(), c.headingPath(), spansHold ? spans.words().get(i) : null).encode();
        stored.add(new StoredChunk(c.ordinal(), c.page(), c.start(), c.end(),
            texts.encrypt(item, version, c.ordinal(), plaintext), c.text(), vectors[i]));
      }
      // no chunk of the item seen under the lock: nothing to delete first (a first index skips two statements)
      repository.replace(sql, owner, item, version, language, embedder.modelId(), stored, now.hasChunks());
      repository.markIndexed(sql, owner, item, version, stored.size(), now());
      chunksIndexed.increment(stored.size());
      return IndexOutcome.INDEXED;
    });
  }

  /**
   * The text search configuration of a language label, or the default when the server has none of
   * that name. Known names are remembered: a configuration is not dropped under a running server,
   * and the look-up was one more round trip in every index job's write.
   */
  private String language(DSLContext sql, String label) {
    String known = knownLanguages.get(label);
    if (known != null) {
      return known;
    }
    var found = Languages.known(sql, label);
    found.ifPresent(name -> knownLanguages.put(label, name));
    return found.orElse(Languages.DEFAULT);
  }

  private IndexOutcome failed(Caller caller, UUID item, int version, ExtractionException e) {
    log.info("items/{} v{} cannot be indexed: {} ({})", item, version, e.reason(), e.getMessage());
    Counter.builder("cairn.search.index.failures").description("items whose extraction failed for good")
        .tag("reason", e.reason().name()).register(metrics).increment();
    UUID owner = caller.requireUserId();
    return database.transaction(caller, sql -> {
      ItemState now = repository.state(sql, item, true);
      if (now == null || now.version() != version) {
        return IndexOutcome.SUPERSEDED;
      }
      repository.deleteChunks(sql, owner, item);
      repository.markFailed(sql, owner, item, version, describe(e), now());
      return IndexOutcome.FAILED;
    });
  }

  private static String describe(ExtractionException e) {
    return e.reason().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": " + e.getMessage();
  }

  private IndexOutcome remove(Caller caller, UUID item) {
    UUID owner = caller.requireUserId();
    return database.transaction(caller, sql -> {
      if (repository.state(sql, item, true) == null) {
        return IndexOutcome.REMOVED; // purged: its chunks and status went with it
      }
      return removeLocked(sql, owner, item);
    });
  }

  private IndexOutcome removeLocked(DSLContext sql, UUID owner, UUID item) {
    repository.deleteChunks(sql, owner, item);
    repository.markRemoved(sql, owner, item, now());
    return IndexOutcome.REMOVED;
  }

  private OffsetDateTime now() {
    return Now.of(clock);
  }
}
