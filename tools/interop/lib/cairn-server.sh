# shellcheck shell=bash
# Start and stop one throwaway Cairn server for a script: sourced by tools/interop/run.sh and
# tools/bench/ghz.sh. The server gets a fresh temp data folder (so the embedded PostgreSQL and the
# demo user are new each time) and free loopback ports; only the pid started here is ever stopped.
#
# After `cairn_start` and `cairn_wait_serving`: CAIRN_PID, CAIRN_TARGET (127.0.0.1:<port>),
# CAIRN_TOKEN_FILE ($CAIRN_DATA_DIR/demo-token), CAIRN_LOG (the server's stdout+stderr),
# CAIRN_METRICS_URL (its Prometheus endpoint).

CAIRN_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
CAIRN_JAR="$CAIRN_REPO/server/target/cairn-server.jar"
CAIRN_NODE_DIR="$CAIRN_REPO/tools/interop/node"

# shellcheck source=../../lib/jdk.sh
source "$CAIRN_REPO/tools/lib/jdk.sh"

# The java of a JDK 21+ (see tools/lib/jdk.sh).
cairn_java() {
  echo "$(cairn_java_home)/bin/java"
}

# A loopback port nobody listens on right now (the kernel's pick).
cairn_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cairn_require_jar() {
  if [[ ! -f "$CAIRN_JAR" ]]; then
    echo "missing $CAIRN_JAR: build it first with  (cd $CAIRN_REPO && ./mvnw -B -DskipTests install)" >&2
    exit 2
  fi
}

# npm ci when node_modules is missing or older than the lock file.
cairn_node_deps() {
  if [[ ! -f "$CAIRN_NODE_DIR/node_modules/.package-lock.json" \
        || "$CAIRN_NODE_DIR/package-lock.json" -nt "$CAIRN_NODE_DIR/node_modules/.package-lock.json" ]]; then
    (cd "$CAIRN_NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# cairn_start WORK_DIR: starts the server in the background with its data under WORK_DIR/data.
cairn_start() {
  local work="$1"
  CAIRN_DATA_DIR_USED="$work/data"
  CAIRN_LOG="$work/cairn-server.log"
  CAIRN_TOKEN_FILE="$CAIRN_DATA_DIR_USED/demo-token"
  local grpc_port metrics_port
  grpc_port="$(cairn_free_port)"
  metrics_port="$(cairn_free_port)"
  CAIRN_TARGET="127.0.0.1:$grpc_port"
  CAIRN_METRICS_URL="http://127.0.0.1:$metrics_port/metrics"
  mkdir -p "$CAIRN_DATA_DIR_USED"
  CAIRN_DATA_DIR="$CAIRN_DATA_DIR_USED" CAIRN_GRPC_PORT="$grpc_port" CAIRN_METRICS_PORT="$metrics_port" \
    "$(cairn_java)" --add-modules jdk.incubator.vector ${CAIRN_JAVA_OPTS:-} -jar "$CAIRN_JAR" >"$CAIRN_LOG" 2>&1 &
  CAIRN_PID=$!
  echo "cairn server pid $CAIRN_PID on $CAIRN_TARGET (metrics :$metrics_port, data $CAIRN_DATA_DIR_USED, log $CAIRN_LOG)"
}

# cairn_wait_serving [SECONDS]: health SERVING and the demo token written, or exit 1 (the caller's
# exit trap shows the server log).
cairn_wait_serving() {
  local limit="${1:-120}"
  node "$CAIRN_NODE_DIR/wait-serving.mjs" --target "$CAIRN_TARGET" --timeout "$limit" --pid "$CAIRN_PID" || exit 1
  local waited=0
  until [[ -s "$CAIRN_TOKEN_FILE" ]]; do
    if (( waited >= 20 )); then
      echo "server is SERVING but wrote no $CAIRN_TOKEN_FILE" >&2
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

# cairn_stop_pid PID [NAME]: SIGTERM (graceful shutdown stops the embedded PostgreSQL too), up to
# 30 s, then SIGKILL. Only ever the pid it is given.
cairn_stop_pid() {
  local pid="$1" name="${2:-process}"
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.5
  done
  echo "$name (pid $pid) did not stop within 30 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# cairn_require_tools_jar: TOOLS_JAR (tools/target/cairn-tools.jar) exists, else exit 2 with the
# build command. Used by the eval and bench scripts.
cairn_require_tools_jar() {
  TOOLS_JAR="${TOOLS_JAR:-$CAIRN_REPO/tools/target/cairn-tools.jar}"
  [[ -f "$TOOLS_JAR" ]] || { echo "missing $TOOLS_JAR: run ./mvnw -B -ntp -pl server,tools -am package -DskipTests" >&2; exit 2; }
}

# cairn_work_dir PREFIX: a fresh work folder in WORK, and the exit trap of a script that starts
# one server into CAIRN_PID: on failure the server log's last lines, then the server stopped and
# WORK removed. INT/TERM exit 130 through the same trap.
cairn_work_dir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  CAIRN_PID=""
  trap _cairn_work_cleanup EXIT
  trap 'exit 130' INT TERM
}

_cairn_work_cleanup() {
  local rc=$?
  if (( rc != 0 )) && [[ -f "${CAIRN_LOG:-}" ]]; then
    echo "--- last lines of the server log ---" >&2
    tail -n 40 "$CAIRN_LOG" >&2 || true
  fi
  cairn_stop_pid "$CAIRN_PID" "cairn server"
  rm -rf "$WORK"
  exit "$rc"
}

# cairn_scifact_eval PREFIX: what the SciFact evaluations through the API share. DATA is the
# data set (SCIFACT_DIR, default ../shared/datasets/scifact beside the repository); both jars and
# the Node stubs must be there; WORK and the exit trap come from cairn_work_dir PREFIX.
cairn_scifact_eval() {
  DATA="${SCIFACT_DIR:-$CAIRN_REPO/../shared/datasets/scifact}"
  [[ -d "$DATA" ]] || DATA=/work/shared/datasets/scifact
  cairn_require_jar
  cairn_require_tools_jar
  [[ -f "$DATA/corpus.jsonl" ]] || { echo "no SciFact corpus in $DATA (set SCIFACT_DIR)" >&2; exit 2; }
  cairn_node_deps
  cairn_work_dir "$1"
}

# cairn_start_eval_server: starts the server into WORK for a load of one user writing thousands
# of items as fast as it can (the per-user limits lifted), with a random admin token in
# CAIRN_ADMIN_TOKEN, and waits until it serves. Other CAIRN_* settings are the caller's exports.
cairn_start_eval_server() {
  export CAIRN_VAULT_WRITES_PER_MINUTE="${CAIRN_VAULT_WRITES_PER_MINUTE:-1000000}"
  export CAIRN_VAULT_MAX_ITEMS_PER_USER="${CAIRN_VAULT_MAX_ITEMS_PER_USER:-10000000}"
  export CAIRN_ADMIN_TOKEN="eval-admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  cairn_start "$WORK"
  cairn_wait_serving 180
}
