#!/usr/bin/env bash
# The three SciFact evaluations on one load of the corpus: starts one throwaway Cairn (embedded
# PostgreSQL, free loopback ports, extractive chat generator), writes a session file for it
# (session.sh, EvalSession.java), then runs scifact-api.sh (which loads all 5,183 documents as one
# user and records that user in the session), fusion-grid.sh and chat-scifact.sh against the same
# server and user. Loading and embedding is most of each run, so this takes about a third of the
# three run one by one.
#
#   ./mvnw -B -ntp -pl server,tools -am package -DskipTests
#   tools/eval/scifact-all.sh                    # chat on every judged query (CHAT_QUERIES=100 for fewer)
#
# SCIFACT_DIR as for the others. Loopback only; stops only the server pid it started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
cairn_scifact_eval cairn-scifact-all

PG_PORT="$(cairn_free_port)"
export CAIRN_EMBEDDED_DATABASE_PORT="$PG_PORT"
export CAIRN_CHAT_GENERATOR=extractive
cairn_start_eval_server

export CAIRN_EVAL_SESSION="$WORK/session.properties"
(umask 077 && printf 'target=%s\nadmin.token=%s\njdbc=%s\n' "$CAIRN_TARGET" "$CAIRN_ADMIN_TOKEN" \
  "jdbc:postgresql://localhost:$PG_PORT/cairn" >"$CAIRN_EVAL_SESSION")

echo "=== search quality (scifact-api.sh) ==="
"$HERE/scifact-api.sh"
echo "=== fusion grid (fusion-grid.sh) ==="
"$HERE/fusion-grid.sh"
echo "=== chat citations (chat-scifact.sh) ==="
"$HERE/chat-scifact.sh" --queries "${CHAT_QUERIES:-all}"
