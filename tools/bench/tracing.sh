#!/usr/bin/env bash
# What tracing costs per call: IdentityService.GetUser(users/me) and VaultService.GetItem (a 4 KiB
# document, FULL view) against two Cairn servers started side by side in the same run, the same
# jar, the same settings, except tracing:
#   off     OTEL_SDK_DISABLED=true: no spans at all
#   export  every call sampled (OTEL_TRACES_SAMPLER=always_on) and exported over OTLP/HTTP protobuf
#           to a local sink on loopback (otlp_sink.py: answers 200, counts, discards)
# (BENCH_BASE=default compares export against Cairn's default instead: spans made, none exported.)
# Rounds alternate the two servers, so drift on this noisy machine hits both; it prints calls/s,
# p50 and p99 per run, the medians, and the median over rounds of the per-round ratios
# export/off (calls/s below 1.00x is the throughput tracing costs). Not a test: it fails only if a
# server fails to start or a measured call fails.
#
#   ./mvnw -B -ntp -DskipTests package      # server/target/cairn-server.jar and client/target/cairn.jar
#   tools/bench/tracing.sh                  # about 3 minutes with the defaults
#   BENCH_SECONDS=5 BENCH_ROUNDS=1 BENCH_WARMUP=5s tools/bench/tracing.sh   # a quick look
#
# Settings as tools/bench/ghz.sh: BENCH_ROUNDS (5), BENCH_SECONDS (10), BENCH_WARMUP (15s),
# BENCH_CONCURRENCY (16, over one connection), BENCH_METHODS ("GetUser GetItem").
# Raw ghz JSON and summary.json: tools/bench/out/tracing-<timestamp>/<method>/.
# Loopback only; every ghz run is bounded by `timeout`; stops only the pids it started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
# shellcheck source=lib/ghz.sh
source "$HERE/lib/ghz.sh"

GHZ_VERSION="v0.121.0" # pinned: as tools/bench/ghz.sh
GHZ="${BENCH_GHZ:-$HERE/.bin/ghz}" # BENCH_GHZ: a ghz already installed elsewhere
CLIENT_JAR="$CAIRN_REPO/client/target/cairn.jar"
CONCURRENCY="${BENCH_CONCURRENCY:-16}"
ROUNDS="${BENCH_ROUNDS:-5}"
WARMUP="${BENCH_WARMUP:-15s}"
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
BASE="${BENCH_BASE:-off}"
RUN_LIMIT_S=180 # hard bound on any one ghz run

case "$BASE" in off | default) ;; *) echo "BENCH_BASE: $BASE (expected: off or default)" >&2; exit 2 ;; esac
cairn_require_jar
[[ -f "$CLIENT_JAR" ]] || { echo "missing $CLIENT_JAR: run ./mvnw -B -ntp -DskipTests package" >&2; exit 2; }
if [[ ! -x "$GHZ" ]]; then
  echo "installing ghz $GHZ_VERSION into $HERE/.bin"
  GOBIN="$HERE/.bin" go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
fi
cairn_node_deps

OUT="$HERE/out/tracing-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cairn-tracing-bench.XXXXXX")"
declare -A PID TARGET TOKEN ITEM LOG
SINK_PID=""
cleanup() {
  local rc=$?
  for who in "${!PID[@]}"; do cairn_stop_pid "${PID[$who]}" "cairn server ($who)"; done
  cairn_stop_pid "$SINK_PID" "otlp sink"
  if [[ $rc -ne 0 ]]; then
    for who in "${!LOG[@]}"; do
      echo "--- last lines of the $who server log ---" >&2
      tail -n 30 "${LOG[$who]}" >&2 || true
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SINK_PORT="$(cairn_free_port)"
python3 "$HERE/otlp_sink.py" "$SINK_PORT" >"$WORK/otlp-sink.log" 2>&1 &
SINK_PID=$!
echo "otlp sink pid $SINK_PID on 127.0.0.1:$SINK_PORT"

# start_server WHO VAR=VALUE...: one Cairn with its own data folder and the given tracing settings.
start_server() {
  local who="$1"
  shift
  mkdir -p "$WORK/$who"
  (
    unset OTEL_SDK_DISABLED OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_TRACES_SAMPLER
    for setting in "$@"; do export "${setting?}"; done
    cairn_start "$WORK/$who" >/dev/null
    echo "$CAIRN_PID $CAIRN_TARGET $CAIRN_LOG $CAIRN_TOKEN_FILE" >"$WORK/$who.started"
    # the server is this subshell's child: keep the subshell until it exits, so the pid stays ours
    wait "$CAIRN_PID"
  ) &
  local waited=0
  until [[ -s "$WORK/$who.started" ]]; do
    (( waited++ < 100 )) || { echo "$who server did not start" >&2; exit 1; }
    sleep 0.1
  done
  local token_file
  read -r PID[$who] TARGET[$who] LOG[$who] token_file <"$WORK/$who.started"
  echo "cairn server ($who) pid ${PID[$who]} on ${TARGET[$who]}, tracing: ${*:-default}"
  CAIRN_PID="${PID[$who]}" CAIRN_TARGET="${TARGET[$who]}" CAIRN_TOKEN_FILE="$token_file" cairn_wait_serving 180
  TOKEN[$who]="$(tr -d '\n' <"$token_file")"
  # the document GetItem reads: 4 KiB, made through the CLI (which prints its name)
  head -c 4096 /dev/urandom >"$WORK/$who/doc.bin"
  ITEM[$who]="$(CAIRN_TARGET="${TARGET[$who]}" CAIRN_TOKEN="${TOKEN[$who]}" "$(cairn_java)" -jar "$CLIENT_JAR" \
    vault put "$WORK/$who/doc.bin" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["item"]["name"])')"
}

case "$BASE" in
  off) start_server off OTEL_SDK_DISABLED=true ;;
  default) start_server default ;;
esac
start_server export "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT" OTEL_TRACES_SAMPLER=always_on

# ghz_run NAME WHO METHOD ARGS...: one bounded run against server WHO, JSON report to $OUT/METHOD/NAME.json.
ghz_run() {
  local name="$1" who="$2" method="$3"
  shift 3
  ghz_call "$name" "${TARGET[$who]}" "${TOKEN[$who]}" "${ITEM[$who]}" "$method" "$@"
}

for method in ${BENCH_METHODS:-GetUser GetItem}; do
  echo "== $method: warm-up $WARMUP each at concurrency $CONCURRENCY"
  ghz_run warmup-export export "$method" -z "$WARMUP"
  ghz_run "warmup-$BASE" "$BASE" "$method" -z "$WARMUP"
  echo "== $method: $ROUNDS rounds x ${SECONDS_PER_RUN}s per server, concurrency $CONCURRENCY, 1 connection"
  for ((r = 1; r <= ROUNDS; r++)); do
    # alternate which goes first, so neither always runs right after the other's burst
    if (( r % 2 )); then order=(export "$BASE"); else order=("$BASE" export); fi
    for who in "${order[@]}"; do
      ghz_run "round$r-$who" "$who" "$method" -z "${SECONDS_PER_RUN}s"
    done
  done
  echo "== $method: tracing export vs $BASE"
  python3 "$HERE/ghz_report.py" "$OUT/$method" "$ROUNDS" "$CONCURRENCY" export "$BASE"
done

# stop the exporting server first: it flushes its last spans, then the sink says what it took
cairn_stop_pid "${PID[export]}" "cairn server (export)"
unset 'PID[export]'
cairn_stop_pid "$SINK_PID" "otlp sink"
SINK_PID=""
cat "$WORK/otlp-sink.log"
