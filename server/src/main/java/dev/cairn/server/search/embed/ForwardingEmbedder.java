package dev.cairn.server.search.embed;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An {@link Embedder} that hands every call to another one; a wrapper overrides only what it
 * changes (the ingestion batcher its passages, a test its counting). {@link #close} does not close
 * the wrapped model: whoever built the model closes it.
 */
public abstract class ForwardingEmbedder implements Embedder {
  protected final Embedder model;

  protected ForwardingEmbedder(Embedder model) {
    this.model = requireNonNull(model, "model");
  }

  @Override
  public float[][] embedPassages(List<String> passages) {
    return model.embedPassages(passages);
  }

  @Override
  public float[] embedQuery(String query) {
    return model.embedQuery(query);
  }

  @Override
  public int dimensions() {
    return model.dimensions();
  }

  @Override
  public String modelId() {
    return model.modelId();
  }

  @Override
  public int maxTokens() {
    return model.maxTokens();
  }

  @Override
  public int countTokens(String text) {
    return model.countTokens(text);
  }

  @Override
  public void close() {}
}
