#!/usr/bin/env bash
# Vault benchmark: Cairn's CreateItem / GetItem(FULL) against a raw SQL INSERT / SELECT of the
# same bytes into a bare table of the same PostgreSQL, measured in one run by
# tools/src/main/java/dev/cairn/tools/bench/VaultBench.java (medians over alternating rounds),
# in four cases: one client (latency); 8 clients on one owner; 8 clients on 8 owners; and
# CreateItem for an owner holding 1,000 and then BENCH_PRELOAD (100,000) items.
# The ratio is the cost of what the vault adds per item: authentication, validation, per-owner
# encryption, versions, the audit hash chain and row-level security.
#
#   ./mvnw -B -DskipTests install
#   tools/bench/vault.sh                         # 4 KiB documents, 2000 ops x 3 rounds, 8 threads
#   BENCH_SIZE=65536 BENCH_OPS=500 tools/bench/vault.sh
#   BENCH_OPS=200 BENCH_ROUNDS=1 BENCH_PRELOAD=20000 tools/bench/vault.sh   # a quick look on a busy machine
#
# BENCH_TIMEOUT (900) bounds the whole measurement in seconds: on a loaded machine the
# BENCH_PRELOAD copy alone can take minutes, and the tables print only at the end.
#
# Loopback only; bounded by the op counts; stops only the server pid it started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
TOOLS_JAR="$CAIRN_REPO/tools/target/cairn-tools.jar"

cairn_require_jar
[[ -f "$TOOLS_JAR" ]] || { echo "missing $TOOLS_JAR: run ./mvnw -B -DskipTests install" >&2; exit 2; }
cairn_node_deps

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cairn-vault-bench.XXXXXX")"
CAIRN_PID=""
cleanup() {
  local rc=$?
  cairn_stop_pid "$CAIRN_PID" "cairn server"
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PG_PORT="$(cairn_free_port)"
export CAIRN_EMBEDDED_DATABASE_PORT="$PG_PORT"
export CAIRN_VAULT_WRITES_PER_MINUTE=1000000
export CAIRN_VAULT_MAX_ITEMS_PER_USER=10000000
export CAIRN_ADMIN_TOKEN="bench-admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
cairn_start "$WORK"
cairn_wait_serving 120
TOKEN="$(tr -d '\n' <"$CAIRN_TOKEN_FILE")"

timeout "${BENCH_TIMEOUT:-900}" "$(cairn_java)" -cp "$TOOLS_JAR" dev.cairn.tools.bench.VaultBench \
  --target "$CAIRN_TARGET" --token "$TOKEN" \
  --jdbc "jdbc:postgresql://localhost:$PG_PORT/cairn" \
  --admin-token "$CAIRN_ADMIN_TOKEN" --preload "${BENCH_PRELOAD:-100000}" \
  --size "${BENCH_SIZE:-4096}" --ops "${BENCH_OPS:-2000}" \
  --concurrency "${BENCH_CONCURRENCY:-8}" --rounds "${BENCH_ROUNDS:-3}"
