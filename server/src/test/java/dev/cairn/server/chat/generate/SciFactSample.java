package dev.cairn.server.chat.generate;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Four SciFact abstracts (test resources; SciFact is CC BY-NC 2.0, used for evaluation only) as
 * prompt sources numbered 1..4 in file order: methadone after prison, liver transplantation and
 * methadone, Tregs in liver transplantation, sudden infant death syndrome.
 */
final class SciFactSample {
  private SciFactSample() {}

  static List<Prompt.Source> sources() {
    List<Prompt.Source> sources = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        Objects.requireNonNull(SciFactSample.class.getResourceAsStream("/chat/generate/scifact-sample.jsonl")),
        StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonObject doc = JsonParser.parseString(line).getAsJsonObject();
        sources.add(new Prompt.Source(
            sources.size() + 1, doc.get("title").getAsString(), doc.get("text").getAsString(), 0));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return sources;
  }
}
