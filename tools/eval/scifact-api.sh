#!/usr/bin/env bash
# Search quality on SciFact (train split) through Cairn's public API, measured by
# tools/src/main/java/dev/cairn/tools/eval/SciFactEval.java in one run: a fresh Cairn (embedded
# PostgreSQL, free loopback ports), one new user, the corpus loaded with CreateItem (searchable,
# label scifact_id, 8 in flight), the wait for GetIndexStatus to report it indexed (indexing
# docs/s from the first upload), then every train query through Search per mode and through a
# plain ts_rank SQL baseline over the same chunks: nDCG@10, Recall@100 (BEIR), p50/p99 latency.
#
#   ./mvnw -B -ntp -pl server,tools -am package -DskipTests
#   tools/eval/scifact-api.sh                                   # all 5,183 documents, 809 queries
#   tools/eval/scifact-api.sh --limit-docs 500 --limit-queries 50   # a quick run
#   tools/eval/scifact-api.sh --modes LEXICAL                   # other options: see SciFactEval
#   CAIRN_EVAL_SESSION=FILE tools/eval/scifact-api.sh           # a Cairn already loaded (session.sh)
#
# SCIFACT_DIR (default ../shared/datasets/scifact beside the repository) names the data set.
# Loopback only; stops only the server pid it started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
TOOLS_JAR="$CAIRN_REPO/tools/target/cairn-tools.jar"
# shellcheck source=session.sh
source "$HERE/session.sh"
cairn_scifact_eval cairn-scifact

# the ts_rank baseline reads the embedded PostgreSQL: its port is chosen here (a session names its own)
start_with_database() {
  PG_PORT="$(cairn_free_port)"
  export CAIRN_EMBEDDED_DATABASE_PORT="$PG_PORT"
  cairn_start_eval_server
}
cairn_eval_server start_with_database
[[ -n "${CAIRN_EVAL_SESSION:-}" ]] || EVAL_SERVER_ARGS+=(--jdbc "jdbc:postgresql://localhost:$PG_PORT/cairn")

timeout "${EVAL_TIMEOUT_SECONDS:-7200}" "$(cairn_java)" --enable-native-access=ALL-UNNAMED -cp "$TOOLS_JAR" dev.cairn.tools.eval.SciFactEval \
  "${EVAL_SERVER_ARGS[@]}" --data "$DATA" "$@"
