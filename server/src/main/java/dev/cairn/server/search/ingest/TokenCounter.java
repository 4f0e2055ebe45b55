package dev.cairn.server.search.ingest;

/**
 * How many tokens the embedding model reads for a text, without special tokens such as
 * {@code [CLS]} and {@code [SEP]} and without truncation. The embedding model's tokenizer is wired
 * in as a method reference.
 */
@FunctionalInterface
public interface TokenCounter {
  int count(String text);
}
