/**
 * Search ingestion, first half: an item's bytes become an {@link
 * dev.cairn.server.search.ingest.ExtractedDocument} (ordered blocks with page numbers and heading
 * paths) through the {@link dev.cairn.server.search.ingest.Extractor}, and then token-bounded,
 * structure-aware {@link dev.cairn.server.search.ingest.Chunk}s through the {@link
 * dev.cairn.server.search.ingest.Chunker}. Pure library code: no database, no gRPC; every failure
 * is an {@link dev.cairn.server.search.ingest.ExtractionException} with a reason the job records.
 */
@NullMarked
package dev.cairn.server.search.ingest;

import org.jspecify.annotations.NullMarked;
