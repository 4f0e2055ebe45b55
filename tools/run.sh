#!/usr/bin/env bash
# Runs Cairn on this machine: builds it if needed, then starts the server with an embedded
# PostgreSQL under ~/.cairn (CAIRN_DATA_DIR overrides), gRPC on :50051, metrics on :9464.
# The first start creates the user `demo` and prints its token (also in ~/.cairn/demo-token).
# Configuration: CAIRN_* environment variables (see README.md). Stop with Ctrl-C.
set -euo pipefail
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
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector ${CAIRN_JAVA_OPTS:-} -jar "$jar" "$@"
