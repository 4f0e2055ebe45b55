/**
 * Search: the Search RPCs (LEXICAL ranking with BM25 over PostgreSQL full text, fallbacks,
 * highlights), index status and reindexing, wired by {@link dev.cairn.server.search.SearchModule}.
 * Ingestion lives in {@code search.index} (the job) and {@code search.ingest} (extraction and
 * chunking).
 */
@NullMarked
package dev.cairn.server.search;

import org.jspecify.annotations.NullMarked;
