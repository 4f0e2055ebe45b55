#!/usr/bin/env bash
# Chunks the SciFact corpus with the default ChunkingSettings and the real bge-small-en-v1.5 tokenizer
# and prints chunks/s and tokens per chunk. Run from the repository root after the server's test
# classes are compiled (./mvnw -B -ntp -o -pl server -am test-compile).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/datasets/scifact/corpus.jsonl}"
classpath_file="$(mktemp)"
trap 'rm -f "$classpath_file"' EXIT
./mvnw -B -ntp -o -q -pl server dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
DJL_OFFLINE=true java -cp "server/target/test-classes:server/target/classes:$(cat "$classpath_file")" \
  dev.cairn.server.search.ingest.SciFactChunking "$corpus"
