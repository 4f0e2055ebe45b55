package dev.cairn.server.chat.generate;

/** What both generators say and count the same way. */
final class Answers {
  /** The whole answer when no source is relevant: says so rather than guessing. */
  static final String NOTHING_FOUND =
      "I found nothing in the documents available to me that answers this question.";

  private Answers() {}

  /**
   * Approximate tokens of {@code text}: one per four characters, rounded up — the usual rule of
   * thumb for English with GPT-style tokenizers, used where no model tokenizer is involved (the
   * extractive answerer) or the server reports no usage.
   */
  static int estimateTokens(int chars) {
    return (int) Math.min(Integer.MAX_VALUE, (chars + 3L) / 4);
  }

  /** Approximate tokens of what a prompt hands over: the question, the turns and the sources. */
  static int estimatePromptTokens(Prompt prompt) {
    long chars = prompt.question().length();
    for (Prompt.Turn turn : prompt.history()) {
      chars += turn.text().length();
    }
    for (Prompt.Source source : prompt.sources()) {
      chars += source.title().length() + source.text().length();
    }
    return estimateTokens((int) Math.min(Integer.MAX_VALUE - 3, chars));
  }
}
