#!/usr/bin/env bash
# Semantic search quality on SciFact's train split: embeds the corpus with a shipped model,
# indexes it in the Lucene HNSW VectorIndex, searches the 809 judged train queries and prints
# nDCG@10 and Recall@100 (BEIR definitions) for the HNSW search and an exact scan, and the
# model's passages/s. See server/src/test/java/dev/cairn/server/search/vector/SciFactEval.java.
#
#   tools/eval/scifact.sh                              # bge-small-en-v1.5-q
#   tools/eval/scifact.sh all-minilm-l6-v2-q
#   EVAL_BATCH=32 EVAL_THREADS=2 tools/eval/scifact.sh bge-small-en-v1.5-q
#   SCIFACT_DIR=/path/to/scifact MAVEN_OFFLINE=1 tools/eval/scifact.sh
#
# A few minutes per model on 2 cores. Published test-split nDCG@10 for orientation: bge-small-en-v1.5
# 0.713, all-MiniLM-L6-v2 0.645.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

MODEL="${1:-bge-small-en-v1.5-q}"
DATA="${SCIFACT_DIR:-$CAIRN_REPO/../shared/datasets/scifact}"
[[ -f "$DATA/corpus.jsonl" ]] || DATA=/work/shared/datasets/scifact
[[ -f "$DATA/corpus.jsonl" ]] || { echo "no SciFact set found: set SCIFACT_DIR" >&2; exit 2; }

cairn_run_test_main dev.cairn.server.search.vector.SciFactEval \
  "$MODEL" "$DATA" "${EVAL_BATCH:-16}" "${EVAL_THREADS:-0}"
