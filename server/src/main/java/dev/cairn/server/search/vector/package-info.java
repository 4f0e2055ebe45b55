/**
 * The per-replica vector index: a Lucene HNSW graph on local disk holding a derived copy of the
 * chunk vectors kept in PostgreSQL, caught up from there by change sequence, and searched with the
 * caller's readable owners and items as a filter inside candidate generation.
 */
@NullMarked
package dev.cairn.server.search.vector;

import org.jspecify.annotations.NullMarked;
