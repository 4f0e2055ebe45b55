package dev.cairn.tools.eval;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The SciFact set in BEIR's layout: corpus.jsonl, queries-train.jsonl, qrels-train.tsv (with a header line). */
record SciFact(List<Doc> corpus, List<Query> queries, Map<String, Map<String, Integer>> qrels) {
  record Doc(String id, String title, String text) {
    /** What is stored: the title, a blank line, the abstract. */
    String content() {
      return title + "\n\n" + text;
    }
  }

  record Query(String id, String text) {}

  static SciFact load(Path dir) throws IOException {
    List<Doc> corpus = new ArrayList<>();
    for (JsonObject o : jsonl(dir.resolve("corpus.jsonl"))) {
      corpus.add(new Doc(o.get("_id").getAsString(), o.has("title") ? o.get("title").getAsString() : "",
          o.get("text").getAsString()));
    }
    List<Query> queries = new ArrayList<>();
    for (JsonObject o : jsonl(firstExisting(dir, "queries-train.jsonl", "queries.jsonl"))) {
      queries.add(new Query(o.get("_id").getAsString(), o.get("text").getAsString()));
    }
    Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(firstExisting(dir, "qrels-train.tsv", "qrels/train.tsv"), StandardCharsets.UTF_8);
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t");
      if (f.length >= 3) {
        qrels.computeIfAbsent(f[0], q -> new LinkedHashMap<>()).put(f[1], Integer.parseInt(f[2].strip()));
      }
    }
    return new SciFact(corpus, queries, qrels);
  }

  /**
   * A smaller run: the first {@code maxQueries} queries that have qrels, and up to {@code maxDocs}
   * documents with those queries' relevant ones first (so the figures still mean something), the
   * qrels narrowed to what was kept.
   */
  SciFact limit(int maxDocs, int maxQueries) {
    List<Query> kept = queries.stream().filter(q -> qrels.containsKey(q.id())).limit(maxQueries).toList();
    Set<String> wanted = new LinkedHashSet<>();
    kept.forEach(q -> wanted.addAll(qrels.get(q.id()).keySet()));
    List<Doc> docs = new ArrayList<>();
    corpus.stream().filter(d -> wanted.contains(d.id())).limit(maxDocs).forEach(docs::add);
    corpus.stream().filter(d -> !wanted.contains(d.id())).limit(Math.max(0, maxDocs - docs.size())).forEach(docs::add);
    Set<String> loaded = new LinkedHashSet<>();
    docs.forEach(d -> loaded.add(d.id()));
    Map<String, Map<String, Integer>> narrowed = new LinkedHashMap<>();
    for (Query q : kept) {
      Map<String, Integer> rels = new LinkedHashMap<>(qrels.get(q.id()));
      rels.keySet().retainAll(loaded);
      if (!rels.isEmpty()) {
        narrowed.put(q.id(), rels);
      }
    }
    return new SciFact(docs, kept.stream().filter(q -> narrowed.containsKey(q.id())).toList(), narrowed);
  }

  /**
   * What a shared, already loaded corpus supports: the documents in {@code loaded}, this set's
   * queries whose qrels still name one of them, the qrels narrowed to them.
   */
  SciFact restrictTo(Set<String> loaded) {
    List<Doc> docs = corpus.stream().filter(d -> loaded.contains(d.id())).toList();
    Map<String, Map<String, Integer>> narrowed = new LinkedHashMap<>();
    for (Query q : queries) {
      Map<String, Integer> rels = new LinkedHashMap<>(qrels.getOrDefault(q.id(), Map.of()));
      rels.keySet().retainAll(loaded);
      if (!rels.isEmpty()) {
        narrowed.put(q.id(), rels);
      }
    }
    return new SciFact(docs, queries.stream().filter(q -> narrowed.containsKey(q.id())).toList(), narrowed);
  }

  private static Path firstExisting(Path dir, String... names) throws IOException {
    for (String name : names) {
      if (Files.exists(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    throw new IOException("none of " + String.join(", ", names) + " in " + dir);
  }

  private static List<JsonObject> jsonl(Path file) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (!line.isBlank()) {
          out.add(JsonParser.parseString(line).getAsJsonObject());
        }
      }
    }
    return out;
  }
}
