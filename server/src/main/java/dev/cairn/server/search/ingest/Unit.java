package dev.cairn.server.search.ingest;

import org.jspecify.annotations.Nullable;

/**
 * The smallest piece the chunker packs: a sentence, a code line, a whole heading, or (when one of
 * those alone is too big for a chunk) part of one, cut at words.
 *
 * @param start the first character in the canonical text (UTF-16 index)
 * @param end one past the last character
 * @param sentenceStart whether the unit begins a sentence (overlap starts only there)
 * @param blockEnd whether the unit ends its block (a preferred place to end a chunk)
 * @param heading the heading block, when the unit is one whole heading
 */
record Unit(int start, int end, int tokens, boolean sentenceStart, boolean blockEnd, @Nullable Block heading) {}
