/**
 * Sentence embeddings for semantic search: one {@link dev.cairn.server.search.embed.Embedder}
 * interface, an in-process ONNX Runtime implementation over models shipped inside Maven artifacts
 * (no download at run time), and a client for an OpenAI-compatible {@code /v1/embeddings} API.
 */
@NullMarked
package dev.cairn.server.search.embed;

import org.jspecify.annotations.NullMarked;
