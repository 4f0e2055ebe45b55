#!/usr/bin/env bash
# Where ingestion's CPU goes: BENCH_DOCS (400) SciFact documents through CreateItem until
# GetIndexStatus reports them indexed (tools/src/main/java/dev/cairn/tools/eval/SearchBench, no
# latency rounds), on a throwaway server, with the CPU time of every server thread (from
# /proc/PID/task, summed by thread name) and of the whole machine over the same interval. What
# the machine spent beyond the server process is the embedded PostgreSQL and the loading client.
# Read it beside search.sh's ingestion ratio: the raw model runs alone on the machine, while
# Cairn's model shares it with everything else an indexed document costs.
#
#   ./mvnw -B -ntp -pl server,tools -am package -DskipTests
#   tools/bench/ingest-cpu.sh                  # about a minute
#   BENCH_DOCS=1000 tools/bench/ingest-cpu.sh  # longer
#   BENCH_WARMUP_DOCS=0 tools/bench/ingest-cpu.sh  # a cold server: the JIT's share shows
#   BENCH_ROUNDS=3 tools/bench/ingest-cpu.sh       # three rounds (each warmed up), the database growing
#
# Not a test: it prints figures. Loopback only; stops only the server pid it started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
TOOLS_JAR="$CAIRN_REPO/tools/target/cairn-tools.jar"
DATA="${SCIFACT_DIR:-$CAIRN_REPO/../shared/datasets/scifact}"
DOCS="${BENCH_DOCS:-400}"
cairn_require_jar
cairn_require_tools_jar
cairn_node_deps
cairn_work_dir cairn-ingest-cpu
PG_PORT="$(cairn_free_port)"
export CAIRN_EMBEDDED_DATABASE_PORT="$PG_PORT"
export CAIRN_VAULT_WRITES_PER_MINUTE=1000000 CAIRN_VAULT_MAX_ITEMS_PER_USER=10000000
export CAIRN_ADMIN_TOKEN="bench-admin-0123456789abcdef0123456789abcdef"
CAIRN_PID=""
trap 'cairn_stop_pid "$CAIRN_PID" "cairn server"; rm -rf "$WORK"' EXIT
cairn_start "$WORK"
cairn_wait_serving 180
sleep 5 # start-up's own work (the model load, the vector index) out of the interval

# per thread name: user+system clock ticks of the server's threads
threads() {
  local t
  for t in /proc/"$CAIRN_PID"/task/*; do
    printf '%s %s\n' "$(tr ' ' '_' <"$t/comm" 2>/dev/null)" "$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
  done | awk 'NF == 2 {a[$1] += $2} END {for (k in a) print k, a[k]}'
}
busy() { head -1 /proc/stat | awk '{print $2 + $3 + $4 + $7 + $8}'; } # user nice system irq softirq
# the interval starts once SearchBench's warm-up (BENCH_WARMUP_DOCS other documents of another
# user; 0 measures a cold server) is indexed: the raw model is set against warm too.
# BENCH_ROUNDS (1) rounds, each the same documents as a new user: whether a document costs more
# as the database grows.
WARMUP_DOCS="${BENCH_WARMUP_DOCS:-200}"
split() { # split BEFORE_THREADS AFTER_THREADS BEFORE_BUSY AFTER_BUSY: the CPU per document
python3 - "$1" "$2" "$3" "$4" "$DOCS" "$(getconf CLK_TCK)" <<'PY'
import re, sys
before, after, b0, b1, docs, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
def load(path):
    return {line.split()[0]: int(line.split()[1]) for line in open(path) if len(line.split()) == 2}
a, b = load(before), load(after)
groups = {}
for name in set(a) | set(b):
    key = re.sub(r"\d+", "N", name)  # pools: one line per kind of thread
    groups[key] = groups.get(key, 0) + b.get(name, 0) - a.get(name, 0)
ms = lambda ticks: ticks * 1000.0 / hz / docs
server = sum(groups.values())
print(f"CPU per document: machine {ms(b1 - b0):.1f} ms; server process {ms(server):.1f} ms; "
      f"the rest (PostgreSQL, the loading client) {ms(b1 - b0 - server):.1f} ms")
for name, ticks in sorted(groups.items(), key=lambda kv: -kv[1])[:12]:
    if ticks > 0:
        print(f"  {name:28s} {ms(ticks):7.1f} ms")
PY
}
for ((round = 1; round <= ${BENCH_ROUNDS:-1}; round++)); do
  # every round's client is a new JVM: each warms up (server and client) before its interval, or
  # the client's JIT falls inside it (the CPU beyond the server's: 26-29 ms per document with a
  # cold client against 17-18 with a warm one, 2026-12-03)
  warm="$WARMUP_DOCS"
  if [[ "$warm" == 0 ]]; then threads >"$WORK/threads.0"; busy >"$WORK/busy.0"; fi
  echo "round $round"
  timeout 1800 "$(cairn_java)" --enable-native-access=ALL-UNNAMED -cp "$TOOLS_JAR" dev.cairn.tools.eval.SearchBench \
    --target "$CAIRN_TARGET" --admin-token "$CAIRN_ADMIN_TOKEN" --jdbc "jdbc:postgresql://localhost:$PG_PORT/cairn" \
    --data "$DATA" --docs "$DOCS" --ingest-warmup "$warm" --queries 1 --rounds 0 --scale-chunks 0 2>/dev/null \
    | while IFS= read -r line; do
        if [[ "$line" == "ingestion warm-up"* ]]; then threads >"$WORK/threads.0"; busy >"$WORK/busy.0"; fi
        if [[ "$line" =~ ^ingestion ]]; then echo "$line"; fi
      done
  busy >"$WORK/busy.1"
  threads >"$WORK/threads.1"
  split "$WORK/threads.0" "$WORK/threads.1" "$(cat "$WORK/busy.0")" "$(cat "$WORK/busy.1")"
done
echo "(the model runs in cairn-embed-bat(ch) and in ONNX Runtime's own threads, named java; CN_CompilerThre(ad) is the JIT)"
