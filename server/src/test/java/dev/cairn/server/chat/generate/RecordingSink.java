package dev.cairn.server.chat.generate;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every delta a generator emits, in order. */
final class RecordingSink implements GenerationSink {
  final List<String> deltas = new CopyOnWriteArrayList<>();

  @Override
  public void delta(String text) {
    if (text.isEmpty()) {
      throw new AssertionError("a generator emitted an empty delta");
    }
    deltas.add(text);
  }

  String text() {
    return String.join("", deltas);
  }
}
