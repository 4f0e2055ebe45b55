package dev.cairn.tools.eval;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;

/**
 * The user and corpus a SciFact tool evaluates. Without a session: a fresh user who loads
 * {@code wanted} now. With an {@link EvalSession}: the session's user and whatever it loaded
 * (waiting until it is indexed), or — when the session has no user yet — a fresh user who loads
 * {@code wanted} and is recorded in the session for the next tool. {@code data} is what can be
 * judged on the loaded documents: the full set's corpus and qrels narrowed to them, {@code wanted}'s
 * queries.
 */
record LoadedCorpus(ApiClient api, Map<String, String> itemToDoc, SciFact data) {
  static LoadedCorpus open(ManagedChannel channel, String adminToken, EvalSession session, String prefix, SciFact wanted,
      SciFact all, int concurrency, long timeoutNanos) throws Exception {
    return open(channel, adminToken, session, prefix, wanted, all, concurrency, timeoutNanos, false);
  }

  /**
   * As {@link #open(ManagedChannel, String, EvalSession, String, SciFact, SciFact, int, long)}; with
   * {@code indexedOnly} a shared load is not waited for: only its documents indexed by now are judged
   * (a partial figure, for when the indexing cannot finish in the time there is).
   */
  static LoadedCorpus open(ManagedChannel channel, String adminToken, EvalSession session, String prefix, SciFact wanted,
      SciFact all, int concurrency, long timeoutNanos, boolean indexedOnly) throws Exception {
    if (session == null || (session.get("user.token") == null && session.get("user.id") == null)) {
      ApiClient api = ApiClient.newUser(channel, adminToken, prefix);
      Map<String, String> itemToDoc = SciFactEval.load(api, wanted, concurrency, timeoutNanos);
      if (session != null) {
        session.saveUser(api.userId, api.token());
        System.out.printf(Locale.ROOT, "session %s: the corpus is loaded as users/%s%n", session.file(), api.userId);
      }
      return new LoadedCorpus(api, itemToDoc, wanted);
    }
    return attach(channel, adminToken, session, wanted, all, timeoutNanos, indexedOnly);
  }

  private static LoadedCorpus attach(ManagedChannel channel, String adminToken, EvalSession session, SciFact wanted,
      SciFact all, long timeoutNanos, boolean indexedOnly) throws IOException, InterruptedException {
    String userId = session.get("user.id");
    ApiClient api;
    if (session.get("user.token") != null) {
      api = ApiClient.withToken(channel, session.get("user.token"), userId);
    } else {
      api = ApiClient.forUser(channel, adminToken, userId);
      session.saveUser(userId, api.token());
    }
    Map<String, String> itemToDoc = api.scifactItems();
    var judgedDocs = new HashSet<>(itemToDoc.values());
    if (indexedOnly) {
      // hits are still named by every loaded item (one indexed during the run is a distractor, not an unknown);
      // the queries and qrels are narrowed to the documents indexed at this moment
      judgedDocs.clear();
      api.indexed(itemToDoc.keySet()).forEach(item -> judgedDocs.add(itemToDoc.get(item)));
      System.out.printf(Locale.ROOT, "PARTIAL: judging on the %d of %d loaded documents indexed now%n", judgedDocs.size(),
          itemToDoc.size());
    } else {
      SciFactEval.waitIndexed(api, itemToDoc.size(), System.nanoTime(), timeoutNanos);
    }
    SciFact judged = new SciFact(all.corpus(), wanted.queries(), all.qrels()).restrictTo(judgedDocs);
    System.out.printf(Locale.ROOT, "session %s: users/%s, %d documents loaded, %d of the queries judgeable on them%n",
        session.file(), userId, itemToDoc.size(), judged.queries().size());
    return new LoadedCorpus(api, itemToDoc, judged);
  }
}
