package dev.cairn.server.chat.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ExtractiveGeneratorTest {
  private static final Pattern QUOTE = Pattern.compile("(.+?) \\[(\\d+)\\](?: |$)");
  private static final String METHADONE_QUESTION =
      "How many liver transplantation programs require patients to discontinue methadone?";

  private final ExtractiveGenerator generator = new ExtractiveGenerator();

  record Quote(String sentence, int marker) {}

  /** The answer as the sentences it quotes, each with the marker that follows it; all text is used. */
  private static List<Quote> quotes(String answer) {
    List<Quote> quotes = new ArrayList<>();
    Matcher m = QUOTE.matcher(answer);
    int end = 0;
    while (m.find()) {
      assertThat(m.start()).as("text between quotes in: %s", answer).isEqualTo(end);
      quotes.add(new Quote(m.group(1), Integer.parseInt(m.group(2))));
      end = m.end();
    }
    assertThat(end).as("text after the last marker in: %s", answer).isEqualTo(answer.length());
    return quotes;
  }

  private static String normalised(String text) {
    return text.replaceAll("\\s+", " ");
  }

  private static Prompt prompt(String question, List<Prompt.Source> sources) {
    return new Prompt(question, List.of(), sources);
  }

  @Test
  void answerQuotesOnlySentencesOfTheSourcesEachFollowedByTheMarkerOfItsSource() {
    List<Prompt.Source> sources = SciFactSample.sources();
    for (String question : List.of(
        METHADONE_QUESTION,
        "What are the risk factors for sudden infant death syndrome?",
        "Can regulatory T cells be expanded for liver transplant recipients?",
        "Does methadone treatment after release from prison reduce recidivism?")) {
      RecordingSink sink = new RecordingSink();

      Generation generation = generator.generate(prompt(question, sources), sink, new TestCancellation());

      assertThat(generation.finishReason()).isEqualTo(FinishReason.STOP);
      List<Quote> quotes = quotes(sink.text());
      assertThat(quotes).as(question).isNotEmpty().hasSizeLessThanOrEqualTo(ExtractiveGenerator.MAX_SENTENCES);
      for (Quote quote : quotes) {
        assertThat(normalised(sources.get(quote.marker() - 1).text()))
            .as("source [%d] for %s", quote.marker(), question)
            .contains(quote.sentence());
      }
    }
  }

  @Test
  void mostRelevantSentenceComesFirstEvenFromALowerRankedSource() {
    RecordingSink sink = new RecordingSink();

    generator.generate(prompt(METHADONE_QUESTION, SciFactSample.sources()), sink, new TestCancellation());

    Quote first = quotes(sink.text()).getFirst();
    assertThat(first.sentence()).startsWith("Policies requiring discontinuation of methadone in 32% of all programs");
    assertThat(first.marker()).isEqualTo(2);
  }

  @Test
  void answerStaysOnTheSubjectAsked() {
    RecordingSink sink = new RecordingSink();

    generator.generate(prompt("What are the behavioural risk factors for sudden infant death syndrome?",
        SciFactSample.sources()), sink, new TestCancellation());

    // source 2's "the major risk factor" of hepatitis C shares two words but not the subject
    assertThat(quotes(sink.text())).extracting(Quote::marker).containsOnly(4);
  }

  @Test
  void noSourcesAnswersThatNothingWasFound() {
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(prompt("What is SIDS?", List.of()), sink, new TestCancellation());

    assertThat(generation.finishReason()).isEqualTo(FinishReason.NO_SOURCES);
    assertThat(sink.text()).isEqualTo(Answers.NOTHING_FOUND);
    assertThat(generation.completionTokens()).isEqualTo(Answers.estimateTokens(Answers.NOTHING_FOUND.length()));
  }

  @Test
  void sourcesSharingNoTermWithTheQuestionAnswerNoSources() {
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(
        prompt("Which quarks carry colour charge in quantum chromodynamics?", SciFactSample.sources()),
        sink, new TestCancellation());

    assertThat(generation.finishReason()).isEqualTo(FinishReason.NO_SOURCES);
    assertThat(sink.text()).isEqualTo(Answers.NOTHING_FOUND);
  }

  @Test
  void questionMadeOnlyOfQuestionWordsMatchesNothing() {
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(
        prompt("What is this, and how does it do that?", SciFactSample.sources()), sink, new TestCancellation());

    assertThat(generation.finishReason()).isEqualTo(FinishReason.NO_SOURCES);
  }

  @Test
  void answerStreamsWordByWordAndCountsTokensOfWhatItEmitted() {
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(prompt(METHADONE_QUESTION, SciFactSample.sources()), sink,
        new TestCancellation());

    assertThat(sink.deltas).hasSizeGreaterThan(10);
    assertThat(sink.deltas.subList(1, sink.deltas.size())).allSatisfy(d -> assertThat(d).startsWith(" "));
    assertThat(generation.completionTokens()).isEqualTo(Answers.estimateTokens(sink.text().length()));
    assertThat(generation.promptTokens()).isGreaterThan(500); // four abstracts of ~1-2k characters
  }

  @Test
  void sameSentenceInTwoSourcesIsQuotedOnce() {
    String sentence = "Methadone maintenance reduces relapse in patients with opioid dependence.";
    List<Prompt.Source> sources = List.of(
        new Prompt.Source(1, "a", sentence + " Other words entirely here.", 0),
        new Prompt.Source(2, "b", "Something unrelated is said first. " + sentence, 0));
    RecordingSink sink = new RecordingSink();

    generator.generate(prompt("Does methadone maintenance reduce relapse?", sources), sink, new TestCancellation());

    assertThat(quotes(sink.text())).extracting(Quote::sentence).containsExactly(sentence);
  }

  @Test
  void aSourcesOwnBracketedReferencesCannotPassForCitationMarkers() {
    List<Prompt.Source> sources = List.of(new Prompt.Source(3, "paper",
        "Methadone maintenance lowers relapse rates [12] in most programs [4, 5].", 0));
    RecordingSink sink = new RecordingSink();

    generator.generate(prompt("Does methadone maintenance lower relapse?", sources), sink, new TestCancellation());

    assertThat(sink.text()).isEqualTo("Methadone maintenance lowers relapse rates (12) in most programs (4, 5). [3]");
  }

  @Test
  void cancellationMidAnswerStopsAndReturnsCancelledWithOnlyTheEmittedText() {
    TestCancellation cancellation = new TestCancellation();
    List<String> deltas = new ArrayList<>();
    GenerationSink cancelAfterThree = text -> {
      deltas.add(text);
      if (deltas.size() == 3) {
        cancellation.cancel();
      }
    };

    Generation generation = generator.generate(prompt(METHADONE_QUESTION, SciFactSample.sources()),
        cancelAfterThree, cancellation);

    assertThat(generation.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(deltas).hasSize(3);
    assertThat(generation.completionTokens()).isEqualTo(Answers.estimateTokens(String.join("", deltas).length()));
  }

  @Test
  void alreadyCancelledGenerationEmitsNothing() {
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(prompt(METHADONE_QUESTION, SciFactSample.sources()), sink,
        TestCancellation.cancelled());

    assertThat(generation.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(sink.deltas).isEmpty();
    assertThat(generation.completionTokens()).isZero();
  }

  @Test
  void hugeSourceWithoutSentenceBoundariesAndWithNulBytesGivesABoundedCleanAnswer() {
    String hostile = "methadone\u0000 programs policy ".repeat(400_000); // 12M characters, no full stop
    List<Prompt.Source> sources = List.of(new Prompt.Source(1, "hostile", hostile, 0));
    RecordingSink sink = new RecordingSink();

    Generation generation = assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> generator.generate(prompt(METHADONE_QUESTION + "\u0000".repeat(1_000_000), sources), sink,
            new TestCancellation()));

    assertThat(generation.finishReason()).isEqualTo(FinishReason.STOP);
    String answer = sink.text();
    assertThat(answer).doesNotContain("\u0000").hasSizeLessThanOrEqualTo(
        ExtractiveGenerator.MAX_ANSWER_CHARS + Sentences.MAX_SENTENCE_CHARS + 3 * 8);
    for (Quote quote : quotes(answer)) {
      assertThat(quote.sentence()).hasSizeLessThanOrEqualTo(Sentences.MAX_SENTENCE_CHARS);
      assertThat(normalised(Sentences.clean(hostile))).contains(quote.sentence());
    }
  }

  @Test
  void oneEnormousWordIsCutIntoBoundedPieces() {
    String word = "methadone".repeat(100_000);
    List<Prompt.Source> sources = List.of(new Prompt.Source(1, "w", "methadone programs " + word, 0));
    RecordingSink sink = new RecordingSink();

    generator.generate(prompt(METHADONE_QUESTION, sources), sink, new TestCancellation());

    assertThat(quotes(sink.text())).allSatisfy(
        q -> assertThat(q.sentence()).hasSizeLessThanOrEqualTo(Sentences.MAX_SENTENCE_CHARS));
  }
}
