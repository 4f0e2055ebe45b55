package dev.cairn.server.search.ingest;

import dev.cairn.server.search.embed.EmbedderSettings;
import dev.cairn.server.search.embed.OnnxEmbedder;
import dev.cairn.server.search.embed.OnnxModel;

/** The real bge-small-en-v1.5 tokenizer for tests, as the index job counts: the embedder's, one for the whole JVM. */
final class BgeTokens {
  private static final OnnxEmbedder EMBEDDER = OnnxEmbedder.open(EmbedderSettings.defaults(OnnxModel.BGE_SMALL_EN_V15_Q));
  static final TokenCounter INSTANCE = EMBEDDER::countTokens;

  private BgeTokens() {}
}
