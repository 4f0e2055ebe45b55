package dev.cairn.server.search.ingest;

/** The real bge-small-en-v1.5 tokenizer for tests: one {@link BgeTokenCounter} for the whole JVM. */
final class BgeTokens {
  static final TokenCounter INSTANCE = new BgeTokenCounter();

  private BgeTokens() {}
}
