#!/usr/bin/env bash
# Unary-call benchmark: Cairn's IdentityService.GetUser(users/me) and VaultService.GetItem (a 4 KiB
# document, FULL view) against a bare grpc-java server that answers the same RPCs with a fixed User
# and a fixed 4 KiB Item (tools/src/main/java/dev/cairn/tools/bench/BareIdentityServer),
# measured in the same run with the same ghz settings, so the ratio is what Cairn adds per call
# (authentication, validation, metrics, logging, PostgreSQL) rather than a number this noisy machine
# cannot reproduce. Not a test: it prints figures; it fails only if a server fails to start or a
# measured call fails.
#
#   ./mvnw -B -DskipTests install      # builds server/target/cairn-server.jar and tools/target/cairn-tools.jar
#   tools/bench/ghz.sh                 # from any directory; about 2 minutes with the defaults
#   BENCH_SECONDS=5 BENCH_ROUNDS=1 BENCH_WARMUP=5s tools/bench/ghz.sh   # a quick look
#
# What it does: installs ghz into tools/bench/.bin (go install, pinned) when missing; starts Cairn
# (temp data folder, free loopback ports) and the baseline; a warm-up of BENCH_WARMUP against each;
# then BENCH_ROUNDS (3) rounds alternating Cairn / baseline, each run BENCH_SECONDS (10) of closed-loop
# calls at concurrency BENCH_CONCURRENCY (16) over one connection; prints calls/s, p50 and p99 per
# run, the medians and the median of the per-round ratios. Raw ghz JSON: tools/bench/out/<timestamp>/.
# (A timed ghz run cancels the calls still in flight when time is up: at most BENCH_CONCURRENCY such
# errors per run are expected and reported, anything else fails the run.)
# ghz runs on the same 2 cores as the servers: compare ratios, not absolute figures.
# BENCH_TRACING=1 exports Cairn's spans (every call sampled) over OTLP/HTTP to a local sink
# (otlp_sink.py); the default run makes spans but exports none (Cairn's default); compare the two
# runs' Cairn/baseline ratios to see what export costs. OTEL_SDK_DISABLED=true turns tracing off.
# After each method it prints how long Cairn's calls waited, on average, for the authentication
# cache's barrier (the LISTEN connection's round trip that proves no revocation is pending), and
# how many cached lookups left that proof to the call's first statement instead (GetItem: all).
# BENCH_DB=1 adds, to every GetItem round, GetItem's database work alone: pgbench (needs
# postgresql-client) sending the very transaction a GetItem sends (BEGIN, the caller's set_config,
# cairn.read_item of the same document, COMMIT; prepared, durable commit) to Cairn's own PostgreSQL
# at the same concurrency for the same seconds, and the same with 8 reads sharing one commit. Their
# reads/s over the baseline's calls/s is the most any server doing that work per call could reach
# here. (The server is idle meanwhile; its audit chainer links what pgbench queues.)
# Loopback only; every ghz and pgbench run is bounded by `timeout`; stops only the two pids it started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
# shellcheck source=lib/ghz.sh
source "$HERE/lib/ghz.sh"

GHZ_VERSION="v0.121.0" # pinned: the release this script's flags and JSON report were checked against
GHZ="$HERE/.bin/ghz"
TOOLS_JAR="$CAIRN_REPO/tools/target/cairn-tools.jar"
CONCURRENCY="${BENCH_CONCURRENCY:-16}"
ROUNDS="${BENCH_ROUNDS:-3}"
WARMUP="${BENCH_WARMUP:-15s}"
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
RUN_LIMIT_S=180 # hard bound on any one ghz run

cairn_require_jar
if [[ ! -f "$TOOLS_JAR" ]]; then
  echo "missing $TOOLS_JAR: build it with  (cd $CAIRN_REPO && ./mvnw -B -DskipTests install)" >&2
  exit 2
fi
if [[ ! -x "$GHZ" ]]; then
  echo "installing ghz $GHZ_VERSION into $HERE/.bin"
  GOBIN="$HERE/.bin" go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
fi
cairn_node_deps

OUT="$HERE/out/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")"
CAIRN_PID=""
BASE_PID=""
SINK_PID=""
cleanup() {
  local rc=$?
  cairn_stop_pid "$SINK_PID" "otlp sink"
  cairn_stop_pid "$BASE_PID" "baseline server"
  cairn_stop_pid "$CAIRN_PID" "cairn server"
  if [[ $rc -ne 0 && -f "${CAIRN_LOG:-}" ]]; then
    echo "--- last lines of the server log ($CAIRN_LOG) ---" >&2
    tail -n 40 "$CAIRN_LOG" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The baseline first: it is up in a second, while Cairn starts its embedded PostgreSQL.
BASE_PORT="$(cairn_free_port)"
BASE_TARGET="127.0.0.1:$BASE_PORT"
BASE_LOG="$WORK/baseline.log"
"$(cairn_java)" --enable-native-access=ALL-UNNAMED ${CAIRN_JAVA_OPTS:-} -cp "$TOOLS_JAR" \
  dev.cairn.tools.bench.BareIdentityServer "$BASE_PORT" >"$BASE_LOG" 2>&1 &
BASE_PID=$!
echo "baseline server pid $BASE_PID on $BASE_TARGET"

if [[ "${BENCH_TRACING:-0}" == 1 ]]; then
  SINK_PORT="$(cairn_free_port)"
  python3 "$HERE/otlp_sink.py" "$SINK_PORT" >"$WORK/otlp-sink.log" 2>&1 &
  SINK_PID=$!
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" OTEL_TRACES_SAMPLER=always_on
  echo "tracing: Cairn exports every span to the OTLP sink pid $SINK_PID on 127.0.0.1:$SINK_PORT"
fi
if [[ "${BENCH_DB:-0}" == 1 ]]; then
  command -v pgbench >/dev/null && command -v psql >/dev/null \
    || { echo "BENCH_DB=1 needs pgbench and psql (apt-get install postgresql-client)" >&2; exit 2; }
  PG_PORT="$(cairn_free_port)"
  export CAIRN_EMBEDDED_DATABASE_PORT="$PG_PORT"
fi
cairn_start "$WORK"
cairn_wait_serving 120
for ((i = 0; i < 60; i++)); do
  grep -q "listening on $BASE_TARGET" "$BASE_LOG" && break
  kill -0 "$BASE_PID" 2>/dev/null || { cat "$BASE_LOG" >&2; exit 1; }
  sleep 0.5
done
grep -q "listening on $BASE_TARGET" "$BASE_LOG" || { echo "baseline did not start" >&2; cat "$BASE_LOG" >&2; exit 1; }
TOKEN="$(tr -d '\n' <"$CAIRN_TOKEN_FILE")"

# ghz NAME TARGET LOAD... : one bounded run, JSON report to $OUT/NAME.json.
# The document GetItem reads: 4 KiB, made through the CLI (which prints its name).
head -c 4096 /dev/urandom >"$WORK/doc.bin"
ITEM="$(CAIRN_TARGET="$CAIRN_TARGET" CAIRN_TOKEN="$TOKEN" "$(cairn_java)" -jar "$CAIRN_REPO/client/target/cairn.jar" \
  vault put "$WORK/doc.bin" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["item"]["name"])')"

# auth_syncs: how many cached token lookups waited for the auth listener's barrier, the seconds
# they waited in all (cairn_auth_cache_sync_seconds), and how many cached lookups left that proof to
# the call's first statement (cairn_auth_cache_lookups_total{result="deferred"}; a call that answers
# before any statement, such as GetUser from the cache, then still waits for the barrier)
auth_syncs() {
  curl -fsS "$CAIRN_METRICS_URL" | awk '/^cairn_auth_cache_sync_seconds_count/ { c = $2 } /^cairn_auth_cache_sync_seconds_sum/ { s = $2 }
    /^cairn_auth_cache_lookups_total\{.*result="deferred"/ { d = $2 }
    END { printf "%d %s %d\n", c, s + 0, d }'
}

# ghz_run NAME TARGET METHOD ARGS...: METHOD is GetUser (users/me) or GetItem (the 4 KiB document, FULL view)
ghz_run() {
  local name="$1" target="$2" method="$3"
  shift 3
  ghz_call "$name" "$target" "$TOKEN" "$ITEM" "$method" "$@"
}

# db_run NAME READS_PER_COMMIT: GetItem's transaction through pgbench for SECONDS_PER_RUN,
# its output to $OUT/GetItem/NAME.pgbench
db_run() {
  local name="$1" reads="$2" script="$WORK/$1.sql" i
  {
    echo "BEGIN;"
    for ((i = 0; i < reads; i++)); do
      echo "select set_config('cairn.user_id', '$OWNER', true), set_config('cairn.request_id', 'bench', true);"
      echo "select * from cairn.read_item('${ITEM#items/}', 0, true, 67108864, 'ITEM_READ', now(), 'bench');"
    done
    echo "COMMIT;"
  } >"$script"
  PGOPTIONS="-c role=cairn_app" timeout "$RUN_LIMIT_S" pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared \
    -c "$CONCURRENCY" -j 2 -T "$SECONDS_PER_RUN" -f "$script" cairn >"$OUT/GetItem/$name.pgbench" 2>&1
  grep -q "^tps = " "$OUT/GetItem/$name.pgbench" || { cat "$OUT/GetItem/$name.pgbench" >&2; exit 1; }
}
if [[ "${BENCH_DB:-0}" == 1 ]]; then
  OWNER="$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d cairn -Atc "select owner_id from cairn.items where id = '${ITEM#items/}'")"
fi

for method in ${BENCH_METHODS:-GetUser GetItem}; do
  echo "== $method: warm-up $WARMUP each at concurrency $CONCURRENCY"
  ghz_run warmup-cairn "$CAIRN_TARGET" "$method" -z "$WARMUP"
  ghz_run warmup-baseline "$BASE_TARGET" "$method" -z "$WARMUP"
  echo "== $method: $ROUNDS rounds x ${SECONDS_PER_RUN}s per server, concurrency $CONCURRENCY, 1 connection"
  read -r syncs0 waited0 deferred0 < <(auth_syncs)
  for ((r = 1; r <= ROUNDS; r++)); do
    ghz_run "round$r-cairn" "$CAIRN_TARGET" "$method" -z "${SECONDS_PER_RUN}s"
    ghz_run "round$r-baseline" "$BASE_TARGET" "$method" -z "${SECONDS_PER_RUN}s"
    if [[ "$method" == GetItem && "${BENCH_DB:-0}" == 1 ]]; then
      db_run "round$r-db1" 1
      db_run "round$r-db8" 8
    fi
  done
  read -r syncs1 waited1 deferred1 < <(auth_syncs)
  echo "== $method"
  python3 "$HERE/ghz_report.py" "$OUT/$method" "$ROUNDS" "$CONCURRENCY"
  awk -v n="$((syncs1 - syncs0))" -v s0="$waited0" -v s1="$waited1" -v d="$((deferred1 - deferred0))" 'BEGIN {
    printf "authentication (Cairn, the rounds): %d cached lookups deferred to the call'"'"'s first statement; ", d
    if (n > 0) printf "%d waited %.3f ms (mean) for the LISTEN round trip\n", n, 1000 * (s1 - s0) / n
    else printf "none waited for the LISTEN round trip\n" }'
  if [[ "$method" == GetItem && "${BENCH_DB:-0}" == 1 ]]; then
    python3 - "$OUT/GetItem" "$ROUNDS" <<'PY'
import json, re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def tps(name):
    return float(re.search(r"^tps = ([0-9.]+)", open(f"{out}/{name}.pgbench").read(), re.M).group(1))
rows = []
for r in range(1, rounds + 1):
    base = json.load(open(f"{out}/round{r}-baseline.json"))["rps"]
    cairn = json.load(open(f"{out}/round{r}-cairn.json"))["rps"]
    rows.append((cairn / base, tps(f"round{r}-db1") / base, 8 * tps(f"round{r}-db8") / base,
                 tps(f"round{r}-db1"), 8 * tps(f"round{r}-db8")))
med = [statistics.median(x[i] for x in rows) for i in range(5)]
print("GetItem's database work alone (pgbench, same concurrency), reads/s over the baseline's calls/s, median of rounds:")
print(f"  Cairn GetItem                          {med[0]:.2f}x")
print(f"  its transaction alone, 1 read/commit   {med[1]:.2f}x  ({med[3]:.0f} reads/s)")
print(f"  8 reads sharing one commit             {med[2]:.2f}x  ({med[4]:.0f} reads/s)")
PY
  fi
done
if [[ -n "$SINK_PID" ]]; then
  cairn_stop_pid "$CAIRN_PID" "cairn server" # flushes its last spans
  CAIRN_PID=""
  cairn_stop_pid "$SINK_PID" "otlp sink"
  SINK_PID=""
  cat "$WORK/otlp-sink.log"
fi
