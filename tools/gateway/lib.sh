# shellcheck shell=bash
# Envoy in front of a Cairn, for scripts: sourced by tools/gateway/run.sh (the check) and
# tools/run.sh (a local run). Needs tools/interop/lib/cairn-server.sh sourced first
# (CAIRN_REPO, cairn_free_port). Only the pids started here are ever stopped, by the caller.

GATEWAY_TEMPLATE="$CAIRN_REPO/gateway/envoy.yaml"
GATEWAY_DESCRIPTOR="$CAIRN_REPO/proto/target/cairn-descriptor.binpb"
GATEWAY_NODE_DIR="$CAIRN_REPO/tools/gateway/node"
# Local origins only: the page's server and the gateway itself, on any port.
GATEWAY_CORS_ORIGIN_REGEX="${GATEWAY_CORS_ORIGIN_REGEX:-^https?://(localhost|127\\.0\\.0\\.1)(:[0-9]+)?\$}"

# Debian's chromium for the browser checks: installed with apt-get when missing and we are root
# (CI is); otherwise says what to install. Never a browser download of its own.
gateway_require_chromium() {
  command -v "${CAIRN_CHROMIUM:-chromium}" >/dev/null && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "gateway: installing Debian's chromium (apt-get) ..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "gateway: chromium is missing: apt-get install chromium (or set CAIRN_CHROMIUM to a Chromium binary)" >&2
    exit 2
  fi
}

# Connect-ES stubs (protoc-gen-es) for the check into tools/gateway/node/gen, from the current
# contracts plus google/rpc/error_details (the error details the checks decode).
gateway_generate_stubs() {
  rm -rf "$GATEWAY_NODE_DIR/gen"
  (cd "$CAIRN_REPO/proto" && "$CAIRN_REPO/tools/buf/node_modules/.bin/buf" generate \
    --template ../tools/gateway/buf.gen.yaml --include-imports \
    --path src/main/proto/cairn --path target/proto-deps/google/rpc/error_details.proto \
    -o ../tools/gateway/node)
}

# gateway_start_web LOG: the test page's static server on a free port; sets WEB_PID, WEB_PORT.
gateway_start_web() {
  local log="$1" i
  node "$GATEWAY_NODE_DIR/web-server.mjs" --port 0 >"$log" 2>&1 &
  WEB_PID=$!
  for ((i = 0; i < 300; i++)); do
    WEB_PORT="$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$log" 2>/dev/null || true)"
    [[ -n "$WEB_PORT" ]] && return 0
    kill -0 "$WEB_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "gateway: the web server did not start:" >&2
  cat "$log" >&2
  exit 1
}

# gateway_render OUT CAIRN_HOST CAIRN_PORT GATEWAY_ADDRESS GATEWAY_PORT ADMIN_PORT WEB_HOST WEB_PORT
gateway_render() {
  local out="$1"
  CAIRN_HOST="$2" CAIRN_PORT="$3" GATEWAY_ADDRESS="$4" GATEWAY_PORT="$5" ADMIN_PORT="$6" \
    WEB_HOST="$7" WEB_PORT="$8" DESCRIPTOR="$GATEWAY_DESCRIPTOR" CORS_ORIGIN_REGEX="$GATEWAY_CORS_ORIGIN_REGEX" \
    python3 "$CAIRN_REPO/tools/gateway/render.py" "$GATEWAY_TEMPLATE" >"$out"
}

# gateway_start_envoy ENVOY_BIN WORK_DIR CAIRN_PORT GATEWAY_PORT WEB_PORT [GATEWAY_ADDRESS]:
# renders WORK_DIR/envoy.yaml (Cairn and the web upstream on 127.0.0.1) and starts Envoy with
# its log in WORK_DIR/envoy.log; sets ENVOY_PID and ENVOY_ADMIN_PORT.
gateway_start_envoy() {
  local envoy="$1" work="$2" cairn_port="$3" gateway_port="$4" web_port="$5" address="${6:-127.0.0.1}"
  ENVOY_ADMIN_PORT="$(cairn_free_port)"
  gateway_render "$work/envoy.yaml" 127.0.0.1 "$cairn_port" "$address" "$gateway_port" "$ENVOY_ADMIN_PORT" 127.0.0.1 "$web_port"
  # No hot restart: several Envoys (CI, a local run) may share the machine's shared memory ids.
  "$envoy" -c "$work/envoy.yaml" --disable-hot-restart --concurrency "${GATEWAY_CONCURRENCY:-1}" \
    --log-level "${GATEWAY_LOG_LEVEL:-warning}" >"$work/envoy.log" 2>&1 &
  ENVOY_PID=$!
}

# gateway_wait_ready PORT [SECONDS]: until a JSON call through the gateway gets Cairn's answer
# (401 UNAUTHENTICATED for GET /v1/users/me without a token: listener up, transcoder loaded,
# Cairn's health check passed), or exit 1.
gateway_wait_ready() {
  local port="$1" limit="${2:-60}" deadline code
  deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    if [[ -n "${ENVOY_PID:-}" ]] && ! kill -0 "$ENVOY_PID" 2>/dev/null; then
      echo "gateway: envoy exited" >&2
      exit 1
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/v1/users/me" || true)"
    [[ "$code" == 401 ]] && return 0
    sleep 0.2
  done
  echo "gateway: not ready within ${limit}s (last HTTP status ${code:-none})" >&2
  exit 1
}

# The server jar and the unpacked proto dependencies (descriptor set, stubs) a gateway script needs.
gateway_require_build() {
  cairn_require_jar
  if [[ ! -d "$CAIRN_REPO/proto/target/proto-deps" ]]; then
    echo "missing proto/target/proto-deps: run (cd $CAIRN_REPO && ./mvnw -B -ntp -DskipTests package)" >&2
    exit 2
  fi
}

# gateway_work_dir PREFIX KEEP_VAR: a fresh work folder in WORK, and the exit trap of a script
# that starts Envoy (ENVOY_PID), a web server (WEB_PID) and a Cairn (CAIRN_PID): on failure the
# last lines of Envoy's and the server's logs, then those pids stopped, the script's
# GATEWAY_ON_EXIT command (if set) run, and WORK removed unless the variable named KEEP_VAR is 1.
gateway_work_dir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  _GATEWAY_KEEP_VAR="$2"
  CAIRN_PID=""
  WEB_PID=""
  ENVOY_PID=""
  trap _gateway_work_cleanup EXIT
  trap 'exit 130' INT TERM
}

_gateway_work_cleanup() {
  local rc=$?
  cairn_stop_pid "$ENVOY_PID" "envoy"
  cairn_stop_pid "$WEB_PID" "web server"
  cairn_stop_pid "$CAIRN_PID" "cairn server"
  if [[ $rc -ne 0 ]]; then
    for log in "$WORK/envoy.log" "${CAIRN_LOG:-}"; do
      [[ -f "$log" ]] || continue
      echo "--- last lines of $log ---" >&2
      tail -n 30 "$log" >&2 || true
    done
  fi
  if [[ -n "${GATEWAY_ON_EXIT:-}" ]]; then eval "$GATEWAY_ON_EXIT" || true; fi
  if [[ "${!_GATEWAY_KEEP_VAR:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
