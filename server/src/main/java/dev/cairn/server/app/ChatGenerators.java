package dev.cairn.server.app;

import dev.cairn.server.chat.generate.FinishReason;
import dev.cairn.server.chat.generate.Generation;
import dev.cairn.server.chat.generate.Generator;
import dev.cairn.server.chat.generate.Prompt;

/**
 * The one place that chooses chat's answer generator. The default is to be the grounded
 * ExtractiveGenerator (chat.generate, branch h17-generate); until it lands this build answers with
 * the retrieved passages themselves, each with its citation marker — grounded, never invented.
 */
final class ChatGenerators {
  private ChatGenerators() {}

  static Generator configured() {
    return new PassagesGenerator();
  }

  /** Interim: quotes each source's passage as "[n] title: text", one piece per source. */
  private static final class PassagesGenerator implements Generator {
    @Override
    public Generation generate(Prompt prompt, dev.cairn.server.chat.generate.GenerationSink sink,
        dev.cairn.server.chat.generate.Cancellation cancellation) {
      int pieces = 0;
      for (Prompt.Source s : prompt.sources()) {
        if (cancellation.isCancelled()) {
          return new Generation(FinishReason.CANCELLED, 0, pieces);
        }
        sink.delta((pieces == 0 ? "" : "\n\n") + "[" + s.marker() + "] " + s.title() + ": " + s.text().strip());
        pieces++;
      }
      return new Generation(FinishReason.STOP, 0, pieces);
    }

    @Override
    public String name() {
      return "passages";
    }
  }
}
