package dev.cairn.server.search.ingest;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a test (surefire runs only *Test): chunks the SciFact corpus as text/plain "title\n\ntext"
 * with the default settings and the real bge tokenizer, and prints throughput and chunk sizes.
 * Run by hand with tools/bench/scifact-chunking.sh.
 */
final class SciFactChunking {
  private SciFactChunking() {}

  public static void main(String[] args) throws Exception {
    Path corpus = Path.of(args.length > 0 ? args[0] : "../shared/datasets/scifact/corpus.jsonl");
    List<byte[]> documents = new ArrayList<>();
    try (BufferedReader lines = Files.newBufferedReader(corpus, StandardCharsets.UTF_8)) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        JsonObject doc = JsonParser.parseString(line).getAsJsonObject();
        String text = doc.get("title").getAsString() + "\n\n" + doc.get("text").getAsString();
        documents.add(text.getBytes(StandardCharsets.UTF_8));
      }
    }
    Extractor extractor = new Extractor(ExtractionSettings.defaults());
    Chunker chunker = new Chunker(ChunkingSettings.defaults(), BgeTokens.INSTANCE);
    run(documents, extractor, chunker); // warm-up pass: JIT and the tokenizer's native code
    run(documents, extractor, chunker);
  }

  private static void run(List<byte[]> documents, Extractor extractor, Chunker chunker) throws Exception {
    long chunks = 0;
    long tokens = 0;
    int maxTokens = 0;
    int maxChunksPerDoc = 0;
    int noText = 0;
    long started = System.nanoTime();
    for (byte[] document : documents) {
      List<Chunk> docChunks;
      try {
        docChunks = chunker.chunk(extractor.extract("text/plain", document));
      } catch (ExtractionException e) {
        noText++;
        continue;
      }
      chunks += docChunks.size();
      maxChunksPerDoc = Math.max(maxChunksPerDoc, docChunks.size());
      for (Chunk chunk : docChunks) {
        tokens += chunk.tokens();
        maxTokens = Math.max(maxTokens, chunk.tokens());
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf("docs %d (no text %d), chunks %d in %.2f s: %.0f chunks/s, %.0f docs/s%n",
        documents.size(), noText, chunks, seconds, chunks / seconds, documents.size() / seconds);
    System.out.printf("tokens per chunk: mean %.1f, max %d; chunks per doc: mean %.2f, max %d%n",
        (double) tokens / chunks, maxTokens, (double) chunks / (documents.size() - noText), maxChunksPerDoc);
  }
}
