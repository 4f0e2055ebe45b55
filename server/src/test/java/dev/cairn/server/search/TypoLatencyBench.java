package dev.cairn.server.search;

import static dev.cairn.server.search.SearchFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.Durations;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchStage;
import dev.cairn.search.v1.StageReport;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Not a test (surefire's default includes skip *Bench): what the TYPO stage adds to a LEXICAL
 * search, measured on SciFact abstracts indexed through the real job queue. Each misspelt query
 * is timed against the same query spelt right, alternating, in one run:
 *
 * <pre>./mvnw -B -ntp -o -pl server -am test -Dtest=TypoLatencyBench -Dsurefire.failIfNoSpecifiedTests=false -Dcairn.bench.docs=1500</pre>
 */
class TypoLatencyBench {
  /**
   * Spelt right, then misspelt (one or two typos, never on the first letter). Not "inflamation":
   * it stems as "inflamed" does, so EXACT finds it.
   */
  private static final String[][] PAIRS = {
      {"hippocampus", "hipocampus"}, {"macrophages", "macrophagse"}, {"tuberculosis", "tuberculossis"},
      {"antibodies", "antibodeis"}, {"mitochondrial", "mitochondiral"}};
  private static final int WARMUP = 20;
  private static final int RUNS = 100;

  @Test
  void typoStageLatencyAgainstTheSameQuerySpeltRight() throws IOException {
    int docs = Integer.getInteger("cairn.bench.docs", 1500);
    TestUser user = SERVER.newUser("bench");
    List<String> lines = Files.readAllLines(Path.of(System.getProperty("cairn.bench.corpus", "/work/shared/datasets/scifact/corpus.jsonl")));
    long t0 = System.nanoTime();
    for (String line : lines.subList(0, Math.min(docs, lines.size()))) {
      JsonObject doc = JsonParser.parseString(line).getAsJsonObject();
      text(user, doc.get("title").getAsString() + "\n\n" + doc.get("text").getAsString());
    }
    index();
    double indexSeconds = (System.nanoTime() - t0) / 1e9;
    String chunks = superuser("SELECT count(*) FROM cairn.search_chunks WHERE owner_id = ?", id(user)).getFirst();
    String words = superuser("SELECT count(*) FROM cairn.search_words WHERE owner_id = ?", id(user)).getFirst();
    String distinct = superuser("SELECT count(DISTINCT word) FROM cairn.search_words WHERE owner_id = ?", id(user)).getFirst();
    System.out.printf("bench: %d docs, %s chunks, %s vocabulary rows (%s distinct words), indexed in %.1f s%n",
        docs, chunks, words, distinct, indexSeconds);

    // the candidate lookup's access path (as the superuser, default threshold: the plan's shape, not the read rule)
    superuser("EXPLAIN (ANALYZE, COSTS OFF) SELECT word FROM cairn.search_words WHERE owner_id = ? AND word OPERATOR(public.%) 'hipocampus'",
        id(user)).forEach(line -> System.out.println("bench: plan: " + line));
    for (String[] pair : PAIRS) {
      SearchResponse right = explained(user, pair[0]);
      SearchResponse typo = explained(user, pair[1]);
      assertThat(right.getHitsList()).as(pair[0]).isNotEmpty();
      assertThat(typo.getHits(0).getStage()).as(pair[1]).isEqualTo(SearchStage.SEARCH_STAGE_TYPO);
      for (int i = 0; i < WARMUP; i++) {
        explained(user, pair[0]);
        explained(user, pair[1]);
      }
      long[] rightRpc = new long[RUNS];
      long[] typoRpc = new long[RUNS];
      long[] rightStages = new long[RUNS];
      long[] typoStages = new long[RUNS];
      long[] typoStage = new long[RUNS];
      for (int i = 0; i < RUNS; i++) {
        long a = System.nanoTime();
        SearchResponse r = explained(user, pair[0]);
        rightRpc[i] = System.nanoTime() - a;
        long b = System.nanoTime();
        SearchResponse t = explained(user, pair[1]);
        typoRpc[i] = System.nanoTime() - b;
        rightStages[i] = stagesNanos(r, null);
        typoStages[i] = stagesNanos(t, null);
        typoStage[i] = stagesNanos(t, SearchStage.SEARCH_STAGE_TYPO);
      }
      System.out.printf("bench: %-14s vs %-14s (%s): RPC p50 %.2f ms vs %.2f ms (+%.2f ms), p95 %.2f vs %.2f;"
              + " lexical stages p50 %.2f ms vs %.2f ms; TYPO stage alone p50 %.2f ms%n",
          pair[0], pair[1], typo.getHits(0).getExplanation().getCorrectionsList(),
          p(rightRpc, 50), p(typoRpc, 50), p(typoRpc, 50) - p(rightRpc, 50), p(rightRpc, 95), p(typoRpc, 95),
          p(rightStages, 50), p(typoStages, 50), p(typoStage, 50));
    }
  }

  private static SearchResponse explained(TestUser user, String query) {
    return search(user).search(request(query).setExplain(true).build());
  }

  /** The stages' reported time (one stage, or every stage when null). */
  private static long stagesNanos(SearchResponse response, SearchStage only) {
    long sum = 0;
    for (StageReport s : response.getStagesList()) {
      if (only == null || s.getStage() == only) {
        sum += Durations.toNanos(s.getDuration());
      }
    }
    return sum;
  }

  private static double p(long[] nanos, int percentile) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)] / 1e6;
  }
}
