package dev.cairn.server.search.embed;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the model files from the classpath (the Maven artifacts that ship them). */
final class Resources {
  private Resources() {}

  static byte[] bytes(String name) {
    try (InputStream in = Resources.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(
            name + " is not on the classpath (expected inside a langchain4j-embeddings-*-q jar)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }
}
