#!/usr/bin/env bash
# Fuzzes Cairn's JSON/REST surface through the real gateway with schemathesis: a throwaway Cairn,
# Envoy 1.40 in front (gateway/envoy.yaml, as tools/gateway/run.sh starts it), and every
# operation of openapi/cairn.swagger.json (Swagger 2.0, which schemathesis reads as it is)
# called with generated valid and invalid input — once with the demo user's real token, once
# with none. Fails when any response is a 5xx other than 503 UNAVAILABLE, carries INTERNAL or
# UNKNOWN (google.rpc.Status body or grpc-status), has a status code, content type or body the
# description does not declare.
#
#   ./mvnw -B -ntp -DskipTests package   # server/target/cairn-server.jar, proto/target/proto-deps
#   tools/fuzz/run.sh                    # ≈3 minutes; exits non-zero on any failure
#
# FUZZ_SEED (default 20261201) makes the generated cases repeatable; FUZZ_MAX_EXAMPLES (25) and
# FUZZ_MAX_TIME (90 s authenticated, a third of it anonymous) bound the run. Installs what is
# missing from the project's files: schemathesis (tools/fuzz/requirements.txt, pinned, into
# tools/fuzz/.venv), Envoy (tools/gateway/install.sh). Loopback only, free ports; stops only the
# pids it started. The report (JUnit XML, and the cases to replay) is kept in FUZZ_REPORT_DIR
# when set.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
# shellcheck source=../gateway/lib.sh
source "$HERE/../gateway/lib.sh"

seed="${FUZZ_SEED:-20261201}"
max_examples="${FUZZ_MAX_EXAMPLES:-25}"
max_time="${FUZZ_MAX_TIME:-90}"
spec="$CAIRN_REPO/openapi/cairn.swagger.json"

gateway_require_build
# FUZZ_REPORT_DIR keeps schemathesis' reports (the work folder is removed)
GATEWAY_ON_EXIT='if [[ -n "${FUZZ_REPORT_DIR:-}" ]]; then mkdir -p "$FUZZ_REPORT_DIR" && cp -r "$WORK"/report-* "$FUZZ_REPORT_DIR"/ 2>/dev/null; fi'
gateway_work_dir cairn-fuzz FUZZ_KEEP

# Tools first (network), so no server start-up clock runs meanwhile.
venv="$HERE/.venv"
stamp="$venv/.requirements-installed"
if [[ ! -f "$stamp" || "$HERE/requirements.txt" -nt "$stamp" ]]; then
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
  touch "$stamp"
fi
ENVOY="$("$CAIRN_REPO/tools/gateway/install.sh")"
cairn_node_deps
"$CAIRN_REPO/tools/buf/run.sh" >/dev/null

cairn_start "$WORK"
cairn_wait_serving 180
GATEWAY_PORT="$(cairn_free_port)"
# No web upstream: a non-API path is not part of the described surface.
gateway_start_envoy "$ENVOY" "$WORK" "${CAIRN_TARGET#*:}" "$GATEWAY_PORT" "$(cairn_free_port)"
gateway_wait_ready "$GATEWAY_PORT" 60
echo "== fuzzing http://127.0.0.1:$GATEWAY_PORT (envoy pid $ENVOY_PID) -> cairn $CAIRN_TARGET, seed $seed"

# fuzz NAME MAX_TIME [schemathesis options...]: one schemathesis run; its exit code.
fuzz() {
  local name="$1" budget="$2"
  shift 2
  # One worker: with the seed, the same cases in the same order each run.
  # Hypothesis' health checks judge its own data generation (too slow, too much filtered), not
  # Cairn's answers; on a shared 2-core runner they fail by chance (a CI run: "Failed Health
  # Check: 1" with all 4,524 cases passed), so they are off. Every check on the responses stays.
  (cd "$WORK" && SCHEMATHESIS_HOOKS="$HERE/hooks.py" "$venv/bin/schemathesis" run "$spec" \
    --url "http://127.0.0.1:$GATEWAY_PORT" --seed "$seed" --max-examples "$max_examples" \
    --max-time "$budget" --workers 1 --phases examples,coverage,fuzzing --request-timeout 30 \
    --suppress-health-check all \
    --checks no_internal_or_unknown_status,no_server_error_but_unavailable,status_code_conformance,content_type_conformance,response_schema_conformance \
    --report junit --report-dir "$WORK/report-$name" --no-color "$@") 2>&1 | tee "$WORK/$name.out" | grep -av '^\s*$' | tail -n 40
  return "${PIPESTATUS[0]}"
}

rc=0
token="$(cat "$CAIRN_TOKEN_FILE")"
echo "== with the demo user's token"
fuzz authenticated "$max_time" --header "Authorization: Bearer $token" || rc=1
echo "== without a token"
fuzz anonymous "$((max_time / 3 > 0 ? max_time / 3 : 1))" || rc=1
if ((rc == 0)); then echo "fuzz: 2 passed, 0 failed"; else echo "fuzz: failures above (replay a case with its curl line)" >&2; fi
exit "$rc"
