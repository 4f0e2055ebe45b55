package dev.cairn.server.search.index;

import static java.util.Objects.requireNonNull;

import com.google.gson.Gson;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What a chunk's ciphertext holds: its text and heading path, as compact JSON. Both are the
 * user's words, so both are encrypted; only the vector built from the text is not.
 */
public record ChunkText(String text, List<String> headings) {
  private static final Gson GSON = new Gson();

  public ChunkText {
    requireNonNull(text, "text");
    headings = List.copyOf(headings);
  }

  byte[] encode() {
    return GSON.toJson(this).getBytes(StandardCharsets.UTF_8);
  }

  public static ChunkText decode(byte[] plaintext) {
    ChunkText decoded = GSON.fromJson(new String(plaintext, StandardCharsets.UTF_8), ChunkText.class);
    return new ChunkText(decoded.text(), decoded.headings() == null ? List.of() : decoded.headings());
  }
}
