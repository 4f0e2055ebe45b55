#!/usr/bin/env bash
# Chat benchmark: SendMessage on a fresh Cairn (default extractive generator, no model) against a
# bare grpc-java server-streaming baseline in the same run
# (tools/src/main/java/dev/cairn/tools/eval/ChatBench.java drives both; the baseline is
# tools/src/main/java/dev/cairn/tools/bench/BareChatServer.java, started by it as a child JVM).
#
#   ./mvnw -B -ntp -pl server,tools -am package -DskipTests
#   tools/bench/chat.sh                                   # about 4-5 minutes on a loaded 2-core machine
#   BENCH_SENDS=30 BENCH_THROUGHPUT_SENDS=30 BENCH_ROUNDS=1 tools/bench/chat.sh   # a quick look
#
# What "time to first token excluding the generator" is here, and why. The server's own
# cairn_chat_time_to_first_token (also returned as usage.time_to_first_token) runs from the call
# reaching the server (before authentication) to the generator's first piece of text: it includes
# retrieval, but also the generator's time to its first piece, and it leaves out the delivery to
# the client. So it is neither "excluding the generator" nor comparable with a bare server. Instead
# the client clocks each event of the stream: the server sends the retrieval event (the citations)
# the moment retrieval is done and just before it calls the generator, so send -> retrieval event
# is everything Cairn does before the first token — interceptors, the send's transaction,
# retrieval (the HYBRID search, which embeds the question with the in-process model, the chunk
# reads, the audit events, the citations stored) and the stream to the client — with no generator
# time in it. The baseline replays the very messages one Cairn answer produced (started,
# retrieval, the deltas, completed: the same number and sizes) with no work, and its send ->
# retrieval event is the same point, so the difference of the p50s is what Cairn adds (goal
# <= 20 ms). Send -> first delta (which adds the extractive generator's first piece) and the
# server-reported figure are printed beside it.
#
# Corpus: five short built-in passages (ChatBench.CORPUS), one user, indexed before anything is
# timed; eight questions that each match one passage, cycled. Every send goes into a fresh
# conversation made beforehand (not timed), so one answer at a time per conversation and no
# history. Per round, alternating Cairn / baseline: a latency run of BENCH_SENDS (100) sequential
# sends, and a throughput run of BENCH_THROUGHPUT_SENDS (100) sends by BENCH_CONCURRENCY (8)
# closed-loop senders (deltas/s and answers/s: all deltas received / the run's wall time). After
# BENCH_WARMUP (300) warm-up sends each (with 30, the JIT was still compiling Cairn's send path:
# the three rounds' p50 fell 38 -> 31 -> 25 ms, and the median was the middle of that slope).
# BENCH_ROUNDS (3) rounds; medians of the rounds' figures.
# Client, Cairn, its PostgreSQL and the baseline share the machine's cores: compare the
# difference and ratios, not absolute figures. Loopback only; stops only the pids it started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
TOOLS_JAR="$CAIRN_REPO/tools/target/cairn-tools.jar"

cairn_require_jar
cairn_require_tools_jar
cairn_node_deps

cairn_work_dir cairn-chat-bench

export CAIRN_ADMIN_TOKEN="bench-admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export CAIRN_CHAT_GENERATOR=extractive
export CAIRN_VAULT_WRITES_PER_MINUTE=1000000
cairn_start "$WORK"
cairn_wait_serving "${BENCH_START_SECONDS:-180}"

# ChatBench stops the baseline it started (its child) before it exits; timeout bounds the whole run.
timeout "${BENCH_TIMEOUT_SECONDS:-1800}" "$(cairn_java)" -cp "$TOOLS_JAR" dev.cairn.tools.eval.ChatBench \
  --target "$CAIRN_TARGET" --admin-token "$CAIRN_ADMIN_TOKEN" --work "$WORK" \
  --sends "${BENCH_SENDS:-100}" --throughput-sends "${BENCH_THROUGHPUT_SENDS:-100}" \
  --concurrency "${BENCH_CONCURRENCY:-8}" --rounds "${BENCH_ROUNDS:-3}" --warmup "${BENCH_WARMUP:-300}"

# Where Cairn's time went, from its own meters over the whole run (warm-up and both kinds of run,
# so the concurrent sends weigh in): mean time of the searches chat ran (the question's embedding
# included: the server has no meter of its own for it; cairn_search_embed_latency is the indexer's
# batches, i.e. the five documents) and of the server's time to first token.
curl -fsS "$CAIRN_METRICS_URL" > "$WORK/metrics.txt" || echo "could not read $CAIRN_METRICS_URL"
python3 -c '
import re, sys
sums, counts = {}, {}
for line in sys.stdin:
    m = re.match(r"(cairn_(?:search_latency|search_embed_latency|chat_retrieval|chat_time_to_first_token)_seconds)_(sum|count)(\{[^}]*\})? ([0-9.eE+-]+)", line)
    if m:
        key = m.group(1) + (m.group(3) or "")
        (sums if m.group(2) == "sum" else counts)[key] = float(m.group(4))
print("server meters over the whole run (mean):")
for key in sorted(sums):
    if counts.get(key):
        print("  %s: %.1f ms over %d" % (key, 1000 * sums[key] / counts[key], counts[key]))
' < "$WORK/metrics.txt" || true
# where retrieval's time went: the HYBRID searches' stages (StageSpans' timers, wall time; p50 over
# the server's last two minutes, mean over the whole run; stages nest: recheck holds recheck.rows,
# and semantic.nearest runs alongside the lexical SQL; "then" is chat's own work in the search's
# transaction: the citations' audit events and storing them)
awk -f "$HERE/lib/stages.awk" "$WORK/metrics.txt" | sort || true
