package dev.cairn.tools.eval;

import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.FinishReason;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.search.v1.IndexSummary;
import dev.cairn.tools.ToolArgs;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The chat benchmark (run by tools/bench/chat.sh, whose header says what is measured and why).
 * As one fresh user: a few small built-in documents, indexed; warm-up sends, one of which (the
 * median number of deltas) is recorded and replayed by {@code dev.cairn.tools.bench.BareChatServer},
 * started here as a child JVM; then rounds alternating Cairn and the baseline, each with a latency
 * run (sequential sends, a fresh conversation each) and a throughput run (concurrent sends, a fresh
 * conversation each).
 *
 * <pre>java -cp tools/target/cairn-tools.jar dev.cairn.tools.eval.ChatBench --target 127.0.0.1:50051 \
 *   --admin-token $ADMIN [--sends 100] [--throughput-sends 100] [--concurrency 8] [--rounds 3] [--warmup 300]</pre>
 */
public final class ChatBench {
  /** Short passages on distinct subjects, so each question retrieves and quotes something. */
  static final List<SciFact.Doc> CORPUS = List.of(
      new SciFact.Doc("cairns", "Cairns",
          "A cairn is a human-made pile of stones raised as a landmark or a memorial. Hikers build cairns to mark "
              + "trails across open ground where paths are hard to see. In mountain regions a cairn often marks the "
              + "summit of a peak. Knocking down trail cairns can leave walkers lost in fog."),
      new SciFact.Doc("sourdough", "Sourdough bread",
          "Sourdough bread rises through wild yeast and lactic acid bacteria living in a starter. The bacteria give "
              + "the loaf its sour taste. A starter is fed with flour and water every day to keep it active. Long "
              + "fermentation makes the bread keep longer than bread made with baker's yeast."),
      new SciFact.Doc("tides", "Ocean tides",
          "Tides are the rise and fall of sea levels caused by the gravity of the Moon and the Sun. Most coasts see "
              + "two high tides and two low tides a day. Spring tides, the largest, come when the Sun and Moon line "
              + "up at new and full moon. Neap tides are the smallest and come at the quarter moons."),
      new SciFact.Doc("bees", "Honey bees",
          "Honey bees live in colonies with one queen, thousands of female workers and a few male drones. Workers "
              + "tell each other where flowers are with a waggle dance. Bees make honey from nectar and store it in "
              + "wax comb. A colony can survive winter by clustering and eating stored honey."),
      new SciFact.Doc("volcanoes", "Volcanoes",
          "A volcano is an opening in the crust where molten rock, ash and gases escape. Shield volcanoes have gentle "
              + "slopes built by runny lava flows. Stratovolcanoes are steep and erupt explosively. Volcanic ash can "
              + "ground aircraft because it melts inside jet engines."));
  static final List<String> QUESTIONS = List.of(
      "Why do hikers build cairns?",
      "What makes sourdough bread sour?",
      "What causes ocean tides?",
      "How do honey bees tell each other where flowers are?",
      "Why can volcanic ash ground aircraft?",
      "How often are there high tides?",
      "How is a sourdough starter kept active?",
      "How does a bee colony survive winter?");

  /** One run's figures. Latencies in ms, client clock, from the call's start. */
  record Run(List<Double> retrieval, List<Double> firstDelta, List<Double> completed, List<Double> serverTtft,
      long deltas, long answers, double seconds, int noSources) {
    double deltasPerSecond() {
      return deltas / seconds;
    }

    double answersPerSecond() {
      return answers / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    ToolArgs opts = ToolArgs.parse(args);
    String target = opts.get("target", "127.0.0.1:50051");
    String admin = opts.require("admin-token");
    int sends = opts.integer("sends", 100);
    int throughputSends = opts.integer("throughput-sends", 100);
    int concurrency = opts.integer("concurrency", 8);
    int rounds = opts.integer("rounds", 3);
    int warmup = Math.max(3, opts.integer("warmup", 300));
    Path work = Path.of(opts.get("work", System.getProperty("java.io.tmpdir")));

    ManagedChannel cairnChannel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
    Process baseline = null;
    ManagedChannel baseChannel = null;
    try {
      ApiClient api = ApiClient.newUser(cairnChannel, admin, "chatbench");
      index(api);
      ChatServiceGrpc.ChatServiceBlockingStub cairn = api.chat;
      System.out.printf(Locale.ROOT, "warm-up: %d sends to Cairn%n", warmup);
      List<ChatCalls.Answer> warm = new ArrayList<>();
      for (int i = 0; i < warmup; i++) {
        warm.add(ChatCalls.send(cairn, ChatCalls.newConversation(cairn, ""), QUESTIONS.get(i % QUESTIONS.size()), true));
      }
      ChatCalls.Answer template = representative(warm);
      Path answerFile = Files.createTempFile(work, "chat-answer", ".bin");
      try (OutputStream out = Files.newOutputStream(answerFile)) {
        for (SendMessageResponse e : template.events()) {
          e.writeDelimitedTo(out);
        }
      }
      System.out.printf(Locale.ROOT, "recorded answer (replayed by the baseline): %d messages, %d deltas, %d bytes, "
              + "%d code points, %d citations, finish %s%n", template.events().size(), template.deltas(),
          Files.size(answerFile), template.textLength(), template.citations().size(), template.finish());
      baseline = startBaseline(answerFile);
      String baseTarget = awaitListening(baseline);
      baseChannel = NettyChannelBuilder.forTarget(baseTarget).usePlaintext().build();
      ChatServiceGrpc.ChatServiceBlockingStub bare = api.chatOn(baseChannel);
      for (int i = 0; i < warmup; i++) {
        ChatCalls.send(bare, ChatCalls.newConversation(bare, ""), QUESTIONS.get(i % QUESTIONS.size()), false);
      }

      List<Run[]> results = new ArrayList<>();
      for (int r = 1; r <= rounds; r++) {
        Run cl = latency(cairn, sends);
        Run bl = latency(bare, sends);
        Run ct = throughput(cairn, throughputSends, concurrency);
        Run bt = throughput(bare, throughputSends, concurrency);
        results.add(new Run[] {cl, bl, ct, bt});
        printRound(r, cl, bl, ct, bt, concurrency);
      }
      printSummary(results, sends, throughputSends, concurrency);
    } finally {
      if (baseChannel != null) {
        baseChannel.shutdownNow();
      }
      cairnChannel.shutdownNow();
      if (baseline != null) {
        baseline.destroy();
        if (!baseline.waitFor(10, TimeUnit.SECONDS)) {
          baseline.destroyForcibly();
        }
      }
    }
  }

  private static void index(ApiClient api) throws Exception {
    for (SciFact.Doc doc : CORPUS) {
      api.create(doc);
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    IndexSummary s;
    while (true) {
      s = api.summary();
      if (s.getPendingCount() == 0 && s.getIndexedCount() + s.getFailedCount() >= CORPUS.size()) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the corpus was not indexed within 10 minutes: " + s);
      }
      Thread.sleep(200);
    }
    System.out.printf(Locale.ROOT, "corpus: %d documents indexed (%d failed)%n", s.getIndexedCount(), s.getFailedCount());
  }

  /** The warm-up answer with the median number of deltas among those that quoted sources. */
  static ChatCalls.Answer representative(List<ChatCalls.Answer> answers) {
    List<ChatCalls.Answer> sourced = answers.stream().filter(a -> a.finish() == FinishReason.FINISH_REASON_STOP).toList();
    if (sourced.isEmpty()) {
      throw new IllegalStateException("no warm-up send was answered from the corpus (finish reasons: "
          + answers.stream().map(ChatCalls.Answer::finish).toList() + ")");
    }
    List<ChatCalls.Answer> sorted = new ArrayList<>(sourced);
    sorted.sort(Comparator.comparingInt(ChatCalls.Answer::deltas).thenComparingLong(ChatCalls.Answer::textLength));
    return sorted.get(sorted.size() / 2);
  }

  private static Process startBaseline(Path answerFile) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "dev.cairn.tools.bench.BareChatServer", "0", answerFile.toString());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return pb.start();
  }

  private static String awaitListening(Process baseline) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(baseline.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null || !line.startsWith("listening on ")) {
      throw new IllegalStateException("the baseline server did not start: " + line);
    }
    System.out.printf(Locale.ROOT, "baseline pid %d %s%n", baseline.pid(), line);
    return line.substring("listening on ".length()).split(" ")[0];
  }

  /** Sequential sends, each into a conversation made beforehand (not timed). */
  static Run latency(ChatServiceGrpc.ChatServiceBlockingStub chat, int sends) {
    List<String> conversations = new ArrayList<>();
    for (int i = 0; i < sends; i++) {
      conversations.add(ChatCalls.newConversation(chat, ""));
    }
    List<ChatCalls.Answer> answers = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < sends; i++) {
      answers.add(ChatCalls.send(chat, conversations.get(i), QUESTIONS.get(i % QUESTIONS.size()), false));
    }
    return run(answers, (System.nanoTime() - t0) / 1e9);
  }

  /** {@code concurrency} closed-loop senders sharing {@code sends} fresh conversations. */
  static Run throughput(ChatServiceGrpc.ChatServiceBlockingStub chat, int sends, int concurrency) throws Exception {
    ConcurrentLinkedQueue<String> conversations = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < sends; i++) {
      conversations.add(ChatCalls.newConversation(chat, ""));
    }
    ConcurrentLinkedQueue<ChatCalls.Answer> answers = new ConcurrentLinkedQueue<>();
    AtomicLong next = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long t0 = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      workers.add(pool.submit(() -> {
        String c;
        while ((c = conversations.poll()) != null) {
          String q = QUESTIONS.get((int) (next.getAndIncrement() % QUESTIONS.size()));
          answers.add(ChatCalls.send(chat, c, q, false));
        }
        return null;
      }));
    }
    for (Future<?> f : workers) {
      f.get();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    return run(new ArrayList<>(answers), seconds);
  }

  private static Run run(List<ChatCalls.Answer> answers, double seconds) {
    List<Double> retrieval = new ArrayList<>();
    List<Double> first = new ArrayList<>();
    List<Double> completed = new ArrayList<>();
    List<Double> server = new ArrayList<>();
    long deltas = 0;
    int noSources = 0;
    for (ChatCalls.Answer a : answers) {
      if (a.completed() < 0) {
        throw new IllegalStateException("a send ended without completed");
      }
      retrieval.add(a.retrieval() / 1e6);
      if (a.firstDelta() >= 0) {
        first.add(a.firstDelta() / 1e6);
      }
      completed.add(a.completed() / 1e6);
      if (a.serverFirstTokenNanos() >= 0) {
        server.add(a.serverFirstTokenNanos() / 1e6);
      }
      deltas += a.deltas();
      if (a.finish() == FinishReason.FINISH_REASON_NO_SOURCES) {
        noSources++;
      }
    }
    return new Run(retrieval, first, completed, server, deltas, answers.size(), seconds, noSources);
  }

  private static double p(List<Double> values, double q) {
    return values.isEmpty() ? Double.NaN : Metrics.quantile(values, q);
  }

  private static void printRound(int r, Run cl, Run bl, Run ct, Run bt, int concurrency) {
    System.out.printf(Locale.ROOT, "round %d latency  cairn: to retrieval p50 %.1f p99 %.1f ms, to first delta p50 %.1f "
            + "p99 %.1f, to completed p50 %.1f, server ttft p50 %.1f%s | baseline: p50 %.2f p99 %.2f, first delta p50 %.2f%n",
        r, p(cl.retrieval(), .5), p(cl.retrieval(), .99), p(cl.firstDelta(), .5), p(cl.firstDelta(), .99),
        p(cl.completed(), .5), p(cl.serverTtft(), .5), cl.noSources() == 0 ? "" : " (" + cl.noSources() + " NO_SOURCES)",
        p(bl.retrieval(), .5), p(bl.retrieval(), .99), p(bl.firstDelta(), .5));
    System.out.printf(Locale.ROOT, "round %d throughput (concurrency %d) cairn: %.1f answers/s, %.1f deltas/s "
            + "(%.2f deltas an answer) | baseline: %.1f answers/s, %.1f deltas/s%n",
        r, concurrency, ct.answersPerSecond(), ct.deltasPerSecond(), (double) ct.deltas() / ct.answers(),
        bt.answersPerSecond(), bt.deltasPerSecond());
  }

  private static double median(List<Double> values) {
    return Metrics.quantile(values, 0.5);
  }

  private static void printSummary(List<Run[]> results, int sends, int throughputSends, int concurrency) {
    List<Double> cp50 = new ArrayList<>();
    List<Double> cp99 = new ArrayList<>();
    List<Double> bp50 = new ArrayList<>();
    List<Double> bp99 = new ArrayList<>();
    List<Double> cf50 = new ArrayList<>();
    List<Double> cf99 = new ArrayList<>();
    List<Double> bf50 = new ArrayList<>();
    List<Double> bf99 = new ArrayList<>();
    List<Double> srv = new ArrayList<>();
    List<Double> over50 = new ArrayList<>();
    List<Double> over99 = new ArrayList<>();
    List<Double> ratio50 = new ArrayList<>();
    List<Double> gen = new ArrayList<>();
    List<Double> cd = new ArrayList<>();
    List<Double> bd = new ArrayList<>();
    List<Double> dRatio = new ArrayList<>();
    List<Double> ca = new ArrayList<>();
    List<Double> ba = new ArrayList<>();
    for (Run[] round : results) {
      Run cl = round[0];
      Run bl = round[1];
      cp50.add(p(cl.retrieval(), .5));
      cp99.add(p(cl.retrieval(), .99));
      bp50.add(p(bl.retrieval(), .5));
      bp99.add(p(bl.retrieval(), .99));
      cf50.add(p(cl.firstDelta(), .5));
      cf99.add(p(cl.firstDelta(), .99));
      bf50.add(p(bl.firstDelta(), .5));
      bf99.add(p(bl.firstDelta(), .99));
      srv.add(p(cl.serverTtft(), .5));
      over50.add(p(cl.retrieval(), .5) - p(bl.retrieval(), .5));
      over99.add(p(cl.retrieval(), .99) - p(bl.retrieval(), .99));
      ratio50.add(p(cl.retrieval(), .5) / p(bl.retrieval(), .5));
      gen.add(p(cl.firstDelta(), .5) - p(cl.retrieval(), .5));
      cd.add(round[2].deltasPerSecond());
      bd.add(round[3].deltasPerSecond());
      dRatio.add(round[2].deltasPerSecond() / round[3].deltasPerSecond());
      ca.add(round[2].answersPerSecond());
      ba.add(round[3].answersPerSecond());
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "medians over %d rounds (%d sequential sends a run; throughput: %d sends at concurrency %d)%n",
        results.size(), sends, throughputSends, concurrency);
    System.out.printf(Locale.ROOT, "time to first token excluding the generator (send -> retrieval event):%n");
    System.out.printf(Locale.ROOT, "  cairn p50 %.1f ms, p99 %.1f ms | baseline p50 %.2f ms, p99 %.2f ms%n",
        median(cp50), median(cp99), median(bp50), median(bp99));
    System.out.printf(Locale.ROOT, "  overhead p50 %.1f ms (goal <= 20 ms), p99 %.1f ms; ratio p50 %.1fx%n",
        median(over50), median(over99), median(ratio50));
    System.out.printf(Locale.ROOT, "time to first delta (includes the extractive generator's first piece): cairn p50 %.1f ms, "
        + "p99 %.1f ms | baseline p50 %.2f ms, p99 %.2f ms; generator share p50 %.1f ms%n",
        median(cf50), median(cf99), median(bf50), median(bf99), median(gen));
    System.out.printf(Locale.ROOT, "server-reported time_to_first_token (cairn_chat_time_to_first_token) p50 %.1f ms%n",
        median(srv));
    System.out.printf(Locale.ROOT, "deltas/s at concurrency %d: cairn %.1f | baseline %.1f | ratio %.3f; answers/s cairn %.1f "
        + "| baseline %.1f%n", concurrency, median(cd), median(bd), median(dRatio), median(ca), median(ba));
  }

  private ChatBench() {}
}
