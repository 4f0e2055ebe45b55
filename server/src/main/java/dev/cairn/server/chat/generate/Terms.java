package dev.cairn.server.chat.generate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * Turns text into the terms the extractive answerer matches on: Lucene's English analysis
 * (standard tokenizer, possessives, lower case, Porter stemming) without stop words — Lucene's
 * English list plus the words a question is phrased with ("what", "does", "tell me"), which say
 * nothing about what is asked.
 */
final class Terms implements AutoCloseable {
  /** Words that only shape a question; matching them would make any sentence look relevant. */
  private static final List<String> QUESTION_WORDS = List.of(
      "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did",
      "done", "doing", "can", "could", "should", "would", "may", "might", "must", "shall", "has",
      "have", "had", "having", "been", "being", "am", "were", "i", "me", "my", "we", "our", "us",
      "you", "your", "he", "she", "his", "her", "its", "them", "those", "about", "tell", "please",
      "explain", "describe", "know", "any", "some", "there", "here", "from", "than", "so", "very",
      "also", "just", "only", "other", "all", "more", "most", "much", "many", "between", "over",
      "under", "up", "down", "out", "off", "again", "further", "once", "each", "both", "same",
      "own", "too", "s", "t", "don", "now", "yes");

  private static final CharArraySet STOP_WORDS = stopWords();

  /** A question's terms are read from at most this many characters; the rest is hostile. */
  static final int MAX_QUESTION_CHARS = 4_000;

  private final Analyzer analyzer = new EnglishAnalyzer(STOP_WORDS);

  private static CharArraySet stopWords() {
    CharArraySet set = new CharArraySet(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, false);
    set.addAll(QUESTION_WORDS);
    return CharArraySet.unmodifiableSet(set);
  }

  /** The analysed terms of {@code text}, in order, repeats kept (they count as term frequency). */
  List<String> of(String text) {
    List<String> terms = new ArrayList<>();
    try (TokenStream stream = analyzer.tokenStream("text", text)) {
      CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
      stream.reset();
      while (stream.incrementToken()) {
        terms.add(term.toString());
      }
      stream.end();
    } catch (IOException e) {
      throw new UncheckedIOException("analysing in-memory text cannot fail", e);
    }
    return terms;
  }

  @Override
  public void close() {
    analyzer.close();
  }
}
