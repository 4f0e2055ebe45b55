#!/usr/bin/env bash
# Cross-language interop check: starts a throwaway Cairn server and calls it from Node (@grpc/grpc-js)
# and Python (grpcio) with stubs generated from proto/ at run time. Each client checks health,
# reflection (every service declared under proto/src/main/proto is listed; IdentityService.GetUser
# resolves), GetUser users/me with the demo token, UNAUTHENTICATED without a token, and
# INVALID_ARGUMENT + google.rpc.Status details (ErrorInfo domain cairn.dev, BadRequest field `name`),
# and chat: a searchable document is indexed, an answer streams with citations and contiguous
# code-point offsets, StreamMessage resumes it from mid-answer; Node also cancels a detached answer.
# Then every metric the chart's dashboard and alerts query must be in the server's /metrics after a
# few calls into each area (tools/dashboard/check_metrics.py; see OPERATIONS.md, "Dashboard").
#
#   ./mvnw -B -DskipTests install      # builds server/target/cairn-server.jar and proto/target/proto-deps
#   tools/interop/run.sh               # from any directory; exits non-zero if any check fails
#
# Needs: a JDK 21+ (JAVA_HOME, else /usr/lib/jvm/temurin-25-jdk-amd64, else java on PATH), node 20+
# with npm, python3 3.9+. Installs node_modules (npm ci) and tools/interop/python/.venv when missing.
# Loopback only; the server gets a temp data folder and free ports and is stopped (only its pid) at exit.
# Env: CAIRN_INTEROP_KEEP=1 keeps the temp folder (data + server log); CAIRN_JAVA_OPTS adds JVM flags.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/cairn-server.sh
source "$HERE/lib/cairn-server.sh"

cairn_require_jar
if [[ ! -d "$CAIRN_REPO/proto/target/proto-deps" ]]; then
  echo "missing proto/target/proto-deps: run (cd $CAIRN_REPO && ./mvnw -B -DskipTests install)" >&2
  exit 2
fi

PY_DIR="$HERE/python"
python_deps() {
  local venv="$PY_DIR/.venv" stamp="$PY_DIR/.venv/.requirements-installed"
  if [[ ! -f "$stamp" || "$PY_DIR/requirements.txt" -nt "$stamp" ]]; then
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PY_DIR/requirements.txt"
    touch "$stamp"
  fi
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cairn-interop.XXXXXX")"
CAIRN_PID=""
CHECKS_RAN=""
cleanup() {
  local rc=$?
  cairn_stop_pid "$CAIRN_PID" "cairn server"
  if [[ $rc -ne 0 && -z "$CHECKS_RAN" && -f "${CAIRN_LOG:-}" ]]; then
    echo "--- last lines of the server log ($CAIRN_LOG) ---" >&2
    tail -n 40 "$CAIRN_LOG" >&2 || true
  fi
  if [[ "${CAIRN_INTEROP_KEEP:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Dependencies first (network), so the server's start-up clock is not spent on npm and pip.
cairn_node_deps
python_deps

cairn_start "$WORK"
cairn_wait_serving 120

# Each client prints `N passed, N failed` last; the run ends with the sum as one such line.
total_passed=0
total_failed=0
run_client() {
  local name="$1" log="$WORK/$1.out" rc=0
  shift
  echo "== $name"
  "$@" 2>&1 | tee "$log" || rc=$?
  local tally
  tally="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)"
  if [[ -z "$tally" ]]; then
    echo "$name: the client ended without a tally (exit $rc)" >&2
    total_failed=$((total_failed + 1))
    return
  fi
  total_passed=$((total_passed + ${tally%% passed*}))
  local f="${tally#*, }"
  total_failed=$((total_failed + ${f%% failed*}))
  if [[ $rc -ne 0 && ${f%% failed*} -eq 0 ]]; then total_failed=$((total_failed + 1)); fi
}
run_client node node "$HERE/node/check.mjs" --target "$CAIRN_TARGET" --token-file "$CAIRN_TOKEN_FILE"
run_client python "$PY_DIR/.venv/bin/python" "$PY_DIR/check.py" --target "$CAIRN_TARGET" --token-file "$CAIRN_TOKEN_FILE"

# The chart's dashboard and alerts against this server's /metrics: a few calls into every area
# (tools/dashboard/exercise.py, reusing the stubs check.py generated), then every metric name,
# matched label and grouping label they query must be in one scrape (tools/dashboard/check_metrics.py).
echo "== metrics (dashboard and alerts)"
metrics_started=$SECONDS
if "$PY_DIR/.venv/bin/python" "$CAIRN_REPO/tools/dashboard/exercise.py" --target "$CAIRN_TARGET" \
      --token-file "$CAIRN_TOKEN_FILE" >"$WORK/exercise.out" 2>&1 \
    && python3 "$CAIRN_REPO/tools/dashboard/check_metrics.py" --metrics-url "$CAIRN_METRICS_URL"; then
  total_passed=$((total_passed + 1))
else
  cat "$WORK/exercise.out"
  total_failed=$((total_failed + 1))
fi
echo "metrics: $((SECONDS - metrics_started)) s"

CHECKS_RAN=1
if [[ $total_failed -ne 0 ]]; then
  echo "--- last lines of the server log ($CAIRN_LOG) ---"
  tail -n 40 "$CAIRN_LOG" || true
fi
echo "interop: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
