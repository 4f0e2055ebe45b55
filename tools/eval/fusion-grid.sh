#!/usr/bin/env bash
# Tunes HYBRID's reciprocal rank fusion on SciFact's train split through Cairn's public API
# (tools/src/main/java/dev/cairn/tools/eval/FusionGrid.java): a fresh Cairn, the corpus loaded as
# one user, each judged query's LEXICAL, SEMANTIC and HYBRID lists fetched once, then the lists
# fused offline over a grid of RRF k, lexical weight and candidate depth: nDCG@10 and Recall@100
# per point, best first. The chosen point goes into CAIRN_SEARCH_RRF_K, CAIRN_SEARCH_LEXICAL_WEIGHT,
# CAIRN_SEARCH_SEMANTIC_WEIGHT and CAIRN_SEARCH_FUSION_DEPTH.
#
#   ./mvnw -B -ntp -pl server,tools -am package -DskipTests
#   tools/eval/fusion-grid.sh                         # all 5,183 documents, 809 queries
#   tools/eval/fusion-grid.sh --limit-docs 1000       # a quicker, easier subset
#   CAIRN_EVAL_SESSION=FILE tools/eval/fusion-grid.sh # a Cairn already loaded (session.sh)
#
# Loopback only; stops only the server pid it started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
# shellcheck source=session.sh
source "$HERE/session.sh"
cairn_scifact_eval cairn-fusion-grid

cairn_eval_server

timeout "${EVAL_TIMEOUT_SECONDS:-7200}" "$(cairn_java)" --enable-native-access=ALL-UNNAMED -cp "$TOOLS_JAR" \
  dev.cairn.tools.eval.FusionGrid "${EVAL_SERVER_ARGS[@]}" --data "$DATA" "$@"
