package dev.cairn.server.search.vector;

import java.util.UUID;

/**
 * One nearest chunk.
 *
 * @param similarity cosine similarity to the query, -1..1
 */
public record VectorHit(UUID chunkId, UUID ownerId, UUID itemId, float similarity) {}
