#!/usr/bin/env bash
# Load and fault suite: a throwaway Cairn on loopback against its own PostgreSQL (Debian's
# postgresql, started here from a fresh initdb as the postgres user, so it can be restarted
# under Cairn), driven by tools/load/load.py. Stops by itself; stops only the pids it started.
#
#   ./mvnw -B -ntp -DskipTests package          # server/target/cairn-server.jar
#   tools/load/run.sh capacity                  # closed loop, LOAD_INFLIGHT (16) in flight, 60 s: ops/s
#   tools/load/run.sh steady RATE [SECONDS]     # open loop at RATE/s (600 s), then every write re-read
#   tools/load/run.sh faults RATE               # 330 s at RATE/s with, in turn: PostgreSQL restart,
#                                               # slow readers, a full connection pool, Cairn kill -9
#
# Reports (JSON, and a summary on stdout) go to LOAD_OUT (tools/load/out, git-ignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
scenario="${1:?usage: run.sh capacity|steady RATE [SECONDS]|faults RATE}"
rate="${2:-10}"
OUT="${LOAD_OUT:-$HERE/out}"
mkdir -p "$OUT"
PY="$CAIRN_REPO/tools/interop/python/.venv/bin/python"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

cairn_require_jar
if [[ ! -x "$PY" ]]; then
  python3 -m venv "$CAIRN_REPO/tools/interop/python/.venv"
  "$PY" -m pip install --quiet --disable-pip-version-check -r "$CAIRN_REPO/tools/interop/python/requirements.txt"
fi
if [[ ! -x "$PG_BIN/pg_ctl" ]]; then
  echo "load: installing Debian's postgresql (apt-get) ..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cairn-load.XXXXXX")"
chmod 755 "$WORK"
CAIRN_PID=""
PG_STARTED=""
pg() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pgrun/pg.log" -w "$@"; }
cleanup() {
  local rc=$?
  cairn_stop_pid "$CAIRN_PID" "cairn server"
  [[ -n "$PG_STARTED" ]] && pg stop -m fast >/dev/null 2>&1 || true
  if ((rc != 0)); then tail -n 30 "$WORK/cairn-server.log" >&2 2>/dev/null || true; fi
  cp "$WORK/cairn-server.log" "$OUT/cairn-server-$scenario.log" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL: trust on loopback only (a throwaway cluster), fsync and synchronous_commit on.
PG_PORT="$(cairn_free_port)"
mkdir -p "$WORK/pg" "$WORK/pgrun" && chown postgres "$WORK/pg" "$WORK/pgrun"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust -E UTF8 >/dev/null
pg_start() { pg start -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pgrun -c max_connections=200" >/dev/null; }
pg_start
PG_STARTED=1

GRPC_PORT="$(cairn_free_port)"
METRICS_PORT="$(cairn_free_port)"
CAIRN_TARGET="127.0.0.1:$GRPC_PORT"
CAIRN_TOKEN_FILE="$WORK/data/demo-token"
METRICS_URL="http://127.0.0.1:$METRICS_PORT/metrics"
mkdir -p "$WORK/data"
start_cairn() {
  CAIRN_DATA_DIR="$WORK/data" CAIRN_GRPC_PORT="$GRPC_PORT" CAIRN_METRICS_PORT="$METRICS_PORT" \
    CAIRN_DATABASE_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/postgres" CAIRN_DATABASE_USER=postgres \
    CAIRN_DATABASE_APP_PASSWORD=load-test-only CAIRN_DEMO_USER=true \
    CAIRN_DATABASE_POOL_SIZE="${LOAD_POOL_SIZE:-16}" CAIRN_VAULT_WRITES_PER_MINUTE=1000000 \
    CAIRN_VAULT_INLINE_MAX_BYTES=4194304 \
    "$(cairn_java)" --add-modules jdk.incubator.vector ${CAIRN_JAVA_OPTS:--Xmx1g} -jar "$CAIRN_JAR" >>"$WORK/cairn-server.log" 2>&1 &
  CAIRN_PID=$!
}
wait_serving() {
  node "$CAIRN_NODE_DIR/wait-serving.mjs" --target "$CAIRN_TARGET" --timeout 180 --pid "$CAIRN_PID" >/dev/null || exit 1
  until [[ -s "$CAIRN_TOKEN_FILE" ]]; do sleep 0.5; done
}
cairn_node_deps
start_cairn
wait_serving
echo "== cairn pid $CAIRN_PID on $CAIRN_TARGET, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on :$PG_PORT"
"$PY" -c "import sys; sys.path.insert(0, '$CAIRN_REPO/tools/interop/python'); import check; check.generate_stubs()"
drive() { "$PY" "$HERE/load.py" --no-generate --target "$CAIRN_TARGET" --token-file "$CAIRN_TOKEN_FILE" --metrics-url "$METRICS_URL" "$@"; }
stamp() { python3 -c 'import time; print(time.time())'; }

case "$scenario" in
  capacity)
    drive --capacity "${LOAD_INFLIGHT:-16}" --duration "${LOAD_SECONDS:-60}" --out "$OUT/capacity.json" ;;
  steady)
    drive --rate "$rate" --duration "${3:-600}" --verify --wait-indexed 300 --out "$OUT/steady.json" ;;
  faults)
    echo "$CAIRN_TARGET" >"$WORK/target"
    drive --rate "$rate" --duration 330 --verify --wait-indexed 300 --target-file "$WORK/target" --out "$OUT/faults.json" &
    DRIVER=$!
    events="$OUT/faults-events.txt"; : >"$events"
    sleep 40
    echo "pg_stop $(stamp)" >>"$events"; pg stop -m fast >/dev/null
    sleep 10
    pg_start; echo "pg_up $(stamp)" >>"$events"
    sleep 50
    echo "slow_start $(stamp)" >>"$events"
    "$PY" "$HERE/load.py" --no-generate --target "$CAIRN_TARGET" --token-file "$CAIRN_TOKEN_FILE" \
      --slow-clients 16 --duration 40 --out "$OUT/slow.json"
    echo "slow_end $(stamp)" >>"$events"
    sleep 10
    echo "pool_start $(stamp)" >>"$events"
    # 64 callers in flight on top of the load, against a pool of 16 connections.
    drive --capacity 64 --duration 30 --out "$OUT/pool-burst.json" >/dev/null
    echo "pool_end $(stamp)" >>"$events"
    sleep 10
    echo "kill9 $(stamp)" >>"$events"; kill -KILL "$CAIRN_PID"; wait "$CAIRN_PID" 2>/dev/null || true
    start_cairn; wait_serving; echo "cairn_up $(stamp)" >>"$events"
    wait "$DRIVER"
    python3 "$HERE/report.py" "$OUT/faults.json" "$events" "$OUT/pool-burst.json" ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac
