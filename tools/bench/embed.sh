#!/usr/bin/env bash
# Embedding benchmark: passages/s of OnnxEmbedder.embedPassages (tokenize, sort by length, batch,
# run, pool, normalise) against a raw ONNX Runtime session with the same options running the
# same padded batches, tokenized beforehand. Rounds alternate between the two; medians and their
# ratio are printed. See server/src/test/java/dev/cairn/server/search/embed/EmbedBench.java.
#
#   tools/bench/embed.sh                               # bge-small-en-v1.5-q, 512 passages, 5 rounds
#   BENCH_MODEL=all-minilm-l6-v2-q BENCH_PASSAGES=1024 BENCH_ROUNDS=3 tools/bench/embed.sh
#   BENCH_BATCH=32 BENCH_THREADS=2 tools/bench/embed.sh
#
# On SciFact passages (title + abstract); CPU only, nothing leaves the machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../eval/lib.sh
source "$HERE/../eval/lib.sh"

DATA="${SCIFACT_DIR:-$CAIRN_REPO/../shared/datasets/scifact}"
[[ -f "$DATA/corpus.jsonl" ]] || DATA=/work/shared/datasets/scifact
[[ -f "$DATA/corpus.jsonl" ]] || { echo "no SciFact set found: set SCIFACT_DIR" >&2; exit 2; }

cairn_run_test_main dev.cairn.server.search.embed.EmbedBench \
  "${BENCH_MODEL:-bge-small-en-v1.5-q}" "$DATA" "${BENCH_PASSAGES:-512}" "${BENCH_ROUNDS:-5}" \
  "${BENCH_BATCH:-16}" "${BENCH_THREADS:-0}"
