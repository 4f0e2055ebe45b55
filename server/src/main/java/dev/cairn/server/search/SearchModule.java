package dev.cairn.server.search;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.jobs.JobHandler;
import dev.cairn.server.jobs.JobQueue;
import dev.cairn.server.search.embed.Embedder;
import dev.cairn.server.search.index.IndexStatuses;
import dev.cairn.server.search.index.SearchIndexer;
import dev.cairn.server.search.index.SearchItemListener;
import dev.cairn.server.search.ingest.Chunker;
import dev.cairn.server.search.ingest.ChunkingSettings;
import dev.cairn.server.search.ingest.ExtractionSettings;
import dev.cairn.server.vault.items.ItemListener;
import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;

/**
 * Builds search from its parts: the Search gRPC service, the index job's handler and the item
 * listener that enqueues it (the composition root hands the listener to items). The embedder and
 * the vector index are the composition root's: it opens and closes them.
 */
public final class SearchModule {
  /** What search is built from. */
  public record Parts(
      Database database,
      ContentStore content,
      VaultAccess access,
      AuditLog audit,
      PageTokens pageTokens,
      JobQueue jobs,
      Clock clock,
      MeterRegistry metrics,
      Embedder embedder,
      VectorSync vectors,
      io.opentelemetry.api.trace.Tracer tracer) {}

  private final SearchIndexer indexer;
  private final SearchItemListener listener;
  private final SearchService service;

  public SearchModule(Parts parts, SearchSettings search, ExtractionSettings extraction, ChunkingSettings chunking) {
    requireNonNull(parts, "parts");
    this.indexer = new SearchIndexer(parts.database(), parts.content(), extraction,
        new Chunker(chunking, parts.embedder()::countTokens), parts.embedder(), parts.clock(), parts.metrics());
    this.listener = new SearchItemListener(parts.jobs(), parts.clock());
    this.service = new SearchService(parts.database(), parts.content(), parts.access(), parts.audit(), parts.pageTokens(),
        new IndexStatuses(parts.jobs()),
        new QueryEmbeddings(parts.embedder(), search.queryCacheEntries(), search.queryCacheTtl(), parts.metrics(),
            parts.tracer()),
        parts.vectors(), search, parts.clock(), parts.metrics(),
        parts.tracer());
  }

  public List<BindableService> services() {
    return List.of(new SearchGrpcService(service));
  }

  /** The search service itself, for chat's retrieval (in-process, with the caller's rights). */
  public SearchService service() {
    return service;
  }

  public List<JobHandler> jobHandlers() {
    return List.of(indexer.handler());
  }

  /** Told of every item change, in its transaction. */
  public ItemListener itemListener() {
    return listener;
  }

  /** The indexer itself, for tools and tests that index without the queue. */
  public SearchIndexer indexer() {
    return indexer;
  }
}
