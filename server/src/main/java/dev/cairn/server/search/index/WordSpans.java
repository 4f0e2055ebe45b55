package dev.cairn.server.search.index;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Where a chunk's words are and what they normalise to, worked out by PostgreSQL's parser and
 * dictionaries when the chunk is indexed (the same ones that built its tsvector), so a search
 * marks a hit's words without sending the text to the parser again. Stored inside the chunk's
 * encrypted {@link ChunkText}: it is the text's words, as secret as the text.
 *
 * @param lexemes the distinct lexemes, in order of first use
 * @param spans triples (start − the previous triple's start, length, index into lexemes), in code
 *     points; a word with several lexemes (a compound) has one triple per lexeme, at one start
 */
public record WordSpans(List<String> lexemes, int[] spans) {
  public WordSpans {
    lexemes = List.copyOf(lexemes);
    requireNonNull(spans, "spans");
  }
}
