package dev.cairn.server.search.embed;

/** Counts the tokens of a text for one model; {@code embedder::countTokens} is one. */
@FunctionalInterface
public interface TokenCounter {
  int count(String text);
}
