package dev.cairn.server.search.index;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.content.StoredVersion;
import dev.cairn.server.core.Caller;
import dev.cairn.server.db.Database;
import dev.cairn.server.jobs.ClaimedJob;
import dev.cairn.server.jobs.Job;
import dev.cairn.server.jobs.JobHandler;
import dev.cairn.server.jobs.JobQueue;
import dev.cairn.server.search.Languages;
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
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
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
    Caller caller = Caller.system(owner, KIND);
    long t0 = System.nanoTime();
    ItemState state = database.transaction(caller, sql -> repository.state(sql, item, false));
    stages.record(IndexStages.READ, t0);
    if (state == null || !state.searchable() || state.deleted()) {
      return remove(caller, item);
    }
    if (state.indexedVersion() == state.version() && !state.reindexRequested()
        && state.language().equals(state.indexedLanguage()) && embedder.modelId().equals(state.indexedModel())) {
      return IndexOutcome.UP_TO_DATE;
    }
    return indexVersion(owner, item, state.version());
  }

  /** Indexes {@code version} of the item, unless the item has moved on by the time it is written. */
  public IndexOutcome indexVersion(UUID owner, UUID item, int version) throws Exception {
    Caller caller = Caller.system(owner, KIND);
    long t0 = System.nanoTime();
    var read = database.transaction(caller, sql -> {
      ItemState state = repository.state(sql, item, false);
      return state == null ? null : new Read(state, content.version(sql, item, version));
    });
    if (read == null) {
      return remove(caller, item);
    }
    List<Chunk> chunks;
    String language = read.state().language();
    try {
      byte[] bytes = readContent(caller, owner, read.stored());
      long t1 = stages.record(IndexStages.READ, t0);
      chunks = chunker.chunk(extractor.extract(read.stored().mediaType(), bytes));
      stages.record(IndexStages.EXTRACT, t1);
    } catch (ExtractionException e) {
      return failed(caller, item, version, e);
    }
    long started = System.nanoTime();
    float[][] vectors = embedder.embedPassages(chunks.stream().map(Chunk::embeddingText).toList());
    embedTime.record(java.time.Duration.ofNanos(System.nanoTime() - started));
    long t2 = stages.record(IndexStages.EMBED, started);
    IndexOutcome outcome = write(caller, owner, item, version, chunks, vectors);
    stages.record(IndexStages.WRITE, t2);
    return outcome;
  }

  private record Read(ItemState state, StoredVersion stored) {}

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

  private IndexOutcome write(Caller caller, UUID owner, UUID item, int version, List<Chunk> chunks, float[][] vectors) {
    return database.transaction(caller, sql -> {
      ItemState now = repository.state(sql, item, true);
      if (now == null || !now.searchable() || now.deleted()) {
        return removeLocked(sql, owner, item);
      }
      if (now.version() != version || now.indexedVersion() > version) {
        return IndexOutcome.SUPERSEDED;
      }
      String language = Languages.known(sql, now.language()).orElse(Languages.DEFAULT);
      var texts = content.chunkTexts(sql, owner, true);
      List<StoredChunk> stored = new ArrayList<>(chunks.size());
      for (int i = 0; i < chunks.size(); i++) {
        Chunk c = chunks.get(i);
        byte[] plaintext = new ChunkText(c.text(), c.headingPath()).encode();
        stored.add(new StoredChunk(c.ordinal(), c.page(), c.start(), c.end(),
            texts.encrypt(item, version, c.ordinal(), plaintext), c.text(), vectors[i]));
      }
      repository.replace(sql, owner, item, version, language, embedder.modelId(), stored);
      repository.markIndexed(sql, owner, item, version, stored.size(), now());
      chunksIndexed.increment(stored.size());
      return IndexOutcome.INDEXED;
    });
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
    return OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }
}
