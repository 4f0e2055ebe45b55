package dev.cairn.server.chat.generate;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The built-in, model-free answerer: quotes the few sentences of the sources that best match the
 * question (see {@link SentenceScorer}), each followed by the {@code [n]} marker of the source it
 * is quoted from, and streams them word by word. It never writes a word that is not in a source
 * (apart from the markers and the "nothing found" answer); when no sentence shares a term with
 * the question it answers {@link FinishReason#NO_SOURCES}.
 *
 * <p>The best sentence comes first — it is the answer; the others follow in reading order (by
 * source, then position), so sentences of one passage read as they were written. Token counts
 * are estimates (see {@link Answers#estimateTokens}): the prompt's are of everything it was
 * handed, the completion's of the characters emitted.
 */
public final class ExtractiveGenerator implements Generator {
  /** At most this many sentences an answer: an answer, not a reading list. */
  static final int MAX_SENTENCES = 3;
  /** Further sentences stop being added past this many characters of quoted text. */
  static final int MAX_ANSWER_CHARS = 800;
  /**
   * A further sentence must score at least this fraction of the best one to be worth quoting: at
   * a third, sentences sharing a couple of words but not the subject slipped in.
   */
  static final double MIN_RELATIVE_SCORE = 0.5;

  @Override
  public Generation generate(Prompt prompt, GenerationSink sink, Cancellation cancellation) {
    requireNonNull(prompt, "prompt");
    requireNonNull(sink, "sink");
    requireNonNull(cancellation, "cancellation");
    int promptTokens = Answers.estimatePromptTokens(prompt);
    List<Candidate> chosen;
    try (Terms analysis = new Terms()) {
      chosen = choose(SentenceScorer.score(analysis, prompt.question(), prompt.sources()));
    }
    if (chosen.isEmpty()) {
      return stream(List.of(Answers.NOTHING_FOUND), FinishReason.NO_SOURCES, promptTokens, sink, cancellation);
    }
    return stream(pieces(chosen), FinishReason.STOP, promptTokens, sink, cancellation);
  }

  @Override
  public String name() {
    return "extractive";
  }

  /** The best candidate, then the next best that are good enough, new, and fit the budget. */
  static List<Candidate> choose(List<Candidate> ranked) {
    if (ranked.isEmpty()) {
      return List.of();
    }
    Candidate best = ranked.getFirst();
    List<Candidate> more = new ArrayList<>();
    int chars = best.sentence().text().length();
    for (Candidate c : ranked.subList(1, ranked.size())) {
      if (more.size() + 1 >= MAX_SENTENCES || c.score() < MIN_RELATIVE_SCORE * best.score()) {
        break;
      }
      int length = c.sentence().text().length();
      if (chars + length > MAX_ANSWER_CHARS
          || c.repeats(best)
          || more.stream().anyMatch(c::repeats)) {
        continue;
      }
      more.add(c);
      chars += length;
    }
    more.sort(Comparator.comparingInt(Candidate::rank)
        .thenComparingInt(c -> c.sentence().position()));
    List<Candidate> answer = new ArrayList<>(1 + more.size());
    answer.add(best);
    answer.addAll(more);
    return answer;
  }

  /** The answer as the pieces it streams in: each word with the space before it, each marker. */
  static List<String> pieces(List<Candidate> sentences) {
    List<String> pieces = new ArrayList<>();
    for (Candidate c : sentences) {
      for (String word : c.sentence().text().split(" ")) {
        pieces.add(pieces.isEmpty() ? word : " " + word);
      }
      pieces.add(" [" + c.source().marker() + "]");
    }
    return pieces;
  }

  private static Generation stream(
      List<String> pieces, FinishReason finish, int promptTokens, GenerationSink sink,
      Cancellation cancellation) {
    int emitted = 0;
    for (String piece : pieces) {
      if (cancellation.isCancelled()) {
        return new Generation(FinishReason.CANCELLED, promptTokens, Answers.estimateTokens(emitted));
      }
      sink.delta(piece);
      emitted += piece.length();
    }
    return new Generation(finish, promptTokens, Answers.estimateTokens(emitted));
  }
}
