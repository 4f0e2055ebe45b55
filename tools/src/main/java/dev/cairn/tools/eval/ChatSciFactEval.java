package dev.cairn.tools.eval;

import dev.cairn.chat.v1.FinishReason;
import dev.cairn.tools.ToolArgs;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Citation quality of chat answers on SciFact's train split through Cairn's public API: loads a
 * subset as one fresh user (the documents relevant to the first {@code --queries} train queries
 * with qrels, plus the first {@code --distractors} other documents in corpus order; see
 * {@link SciFact#limit}), waits until it is indexed, asks each query through SendMessage in a
 * fresh conversation, and reports precision@1 of citations — how often the first citation's item
 * is a document the qrels call relevant — and how often the answer is NO_SOURCES.
 *
 * <pre>java -cp tools/target/cairn-tools.jar dev.cairn.tools.eval.ChatSciFactEval --target 127.0.0.1:50051 \
 *   --admin-token $ADMIN [--data ../shared/datasets/scifact] [--queries 100|all] [--distractors 400|all]
 * java -cp tools/target/cairn-tools.jar dev.cairn.tools.eval.ChatSciFactEval --session FILE [--queries 100|all]
 *   # a shared load (see EvalSession): the documents it holds, whatever --distractors says</pre>
 */
public final class ChatSciFactEval {
  /** What one answer scored. */
  enum Outcome { RELEVANT_FIRST, OTHER_FIRST, NO_SOURCES, NO_CITATION }

  /** Judges one answer: its finish reason and first citation's SciFact id (empty when none) against the qrels. */
  static Outcome judge(FinishReason finish, String firstCitedDoc, Map<String, Integer> qrels) {
    if (finish == FinishReason.FINISH_REASON_NO_SOURCES) {
      return Outcome.NO_SOURCES;
    }
    if (firstCitedDoc.isEmpty()) {
      return Outcome.NO_CITATION;
    }
    return qrels.getOrDefault(firstCitedDoc, 0) > 0 ? Outcome.RELEVANT_FIRST : Outcome.OTHER_FIRST;
  }

  public static void main(String[] args) throws Exception {
    ToolArgs opts = ToolArgs.parse(args);
    EvalSession session = opts.get("session") == null ? null : EvalSession.read(Path.of(opts.get("session")));
    String target = session != null ? session.target() : opts.get("target", "127.0.0.1:50051");
    String admin = session != null ? session.adminToken() : opts.require("admin-token");
    // "all": every query with qrels; --distractors all: the whole corpus
    int queries = "all".equals(opts.get("queries")) ? Integer.MAX_VALUE : opts.integer("queries", 100);
    int distractors = "all".equals(opts.get("distractors")) ? Integer.MAX_VALUE / 2 : opts.integer("distractors", 400);
    int concurrency = opts.integer("concurrency", 8);

    SciFact all = SciFact.load(Path.of(opts.get("data", "../shared/datasets/scifact")));
    SciFact relevantOnly = all.limit(Integer.MAX_VALUE, queries);
    Set<String> relevant = new LinkedHashSet<>();
    relevantOnly.qrels().values().forEach(q -> relevant.addAll(q.keySet()));
    // limit() puts the relevant documents first, then fills up with others in corpus order
    SciFact wanted = all.limit(relevant.size() + distractors, queries);

    ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(16 << 20).build();
    try {
      LoadedCorpus loaded = LoadedCorpus.open(channel, admin, session, "chat-scifact", wanted, all, concurrency,
          TimeUnit.MINUTES.toNanos(opts.integer("index-timeout-minutes", 60)), "true".equals(opts.get("indexed-only")));
      ApiClient api = loaded.api();
      Map<String, String> itemToDoc = loaded.itemToDoc();
      SciFact data = loaded.data();
      long relevantLoaded = data.corpus().stream().filter(d -> relevant.contains(d.id())).count();
      System.out.printf(Locale.ROOT, "scifact train: %d queries with qrels, %d of %d documents loaded (%d relevant to them, %d others)%n",
          data.queries().size(), data.corpus().size(), all.corpus().size(), relevantLoaded, data.corpus().size() - relevantLoaded);
      int[] counts = new int[Outcome.values().length];
      int[] quoted = new int[Outcome.values().length];
      int errors = 0;
      List<Double> latencies = new ArrayList<>();
      int n = 0;
      for (SciFact.Query q : data.queries()) {
        long t0 = System.nanoTime();
        Outcome o;
        try {
          ChatCalls.Answer a = ChatCalls.send(api.chat, ChatCalls.newConversation(api.chat, "scifact " + q.id()), q.text(), false);
          o = judge(a.finish(), itemToDoc.getOrDefault(a.firstCitedItem(), a.firstCitedItem()), data.qrels().get(q.id()));
          quoted[judge(a.finish(), itemToDoc.getOrDefault(a.firstQuotedItem(), a.firstQuotedItem()),
              data.qrels().get(q.id())).ordinal()]++;
        } catch (StatusRuntimeException e) {
          errors++;
          System.out.printf(Locale.ROOT, "  query %s failed: %s%n", q.id(), e.getStatus());
          continue;
        }
        latencies.add((System.nanoTime() - t0) / 1e6);
        counts[o.ordinal()]++;
        if (++n % 25 == 0) {
          // the figure so far, so a run cut short still tells something
          System.out.printf(Locale.ROOT, "  %d queries asked, precision@1 of citations so far %.4f%n", n,
              (double) counts[Outcome.RELEVANT_FIRST.ordinal()] / n);
        }
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "answers: %d (%d failed calls)%n", n, errors);
      System.out.printf(Locale.ROOT, "precision@1 of citations: %.4f (%d of %d answers cite a relevant document first)%n",
          (double) counts[Outcome.RELEVANT_FIRST.ordinal()] / n, counts[Outcome.RELEVANT_FIRST.ordinal()], n);
      System.out.printf(Locale.ROOT, "NO_SOURCES: %.4f (%d); first citation not relevant: %d; answered without citation: %d%n",
          (double) counts[Outcome.NO_SOURCES.ordinal()] / n, counts[Outcome.NO_SOURCES.ordinal()],
          counts[Outcome.OTHER_FIRST.ordinal()], counts[Outcome.NO_CITATION.ordinal()]);
      int cited = counts[Outcome.RELEVANT_FIRST.ordinal()] + counts[Outcome.OTHER_FIRST.ordinal()];
      System.out.printf(Locale.ROOT, "precision@1 among answers with a citation: %.4f (%d of %d)%n",
          cited == 0 ? Double.NaN : (double) counts[Outcome.RELEVANT_FIRST.ordinal()] / cited,
          counts[Outcome.RELEVANT_FIRST.ordinal()], cited);
      System.out.printf(Locale.ROOT, "precision@1 of the first [n] in the text (the source quoted first): %.4f (%d of %d)%n",
          (double) quoted[Outcome.RELEVANT_FIRST.ordinal()] / n, quoted[Outcome.RELEVANT_FIRST.ordinal()], n);
      System.out.printf(Locale.ROOT, "send to completed: p50 %.1f ms, p99 %.1f ms%n", Metrics.quantile(latencies, 0.5),
          Metrics.quantile(latencies, 0.99));
    } finally {
      channel.shutdownNow();
    }
  }

  private ChatSciFactEval() {}
}
