package dev.cairn.server.search.index;

import static java.util.Objects.requireNonNull;

import com.google.gson.Gson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a chunk's ciphertext holds: its text, heading path and word spans, as compact JSON. All
 * three are the user's words, so all are encrypted; only the vector built from the text is not.
 *
 * @param words where the text's words are and their lexemes; null for a chunk indexed before
 *     they were stored (a search then asks the parser, as it always did)
 */
public record ChunkText(String text, List<String> headings, @Nullable WordSpans words) {
  private static final Gson GSON = new Gson();

  public ChunkText {
    requireNonNull(text, "text");
    headings = List.copyOf(headings);
  }

  /** The stored form: {@code words} as two short fields, {@code l} (lexemes) and {@code w} (spans). */
  private record Stored(String text, @Nullable List<String> headings, @Nullable List<String> l, int @Nullable [] w) {}

  public byte[] encode() {
    var stored = new Stored(text, headings, words == null ? null : words.lexemes(), words == null ? null : words.spans());
    return GSON.toJson(stored).getBytes(StandardCharsets.UTF_8);
  }

  public static ChunkText decode(byte[] plaintext) {
    Stored s = GSON.fromJson(new String(plaintext, StandardCharsets.UTF_8), Stored.class);
    return new ChunkText(s.text(), s.headings() == null ? List.of() : s.headings(),
        s.l() == null || s.w() == null ? null : new WordSpans(s.l(), s.w()));
  }
}
