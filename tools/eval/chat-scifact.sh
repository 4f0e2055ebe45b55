#!/usr/bin/env bash
# Citation quality of chat answers on SciFact (train split) through Cairn's public API, measured by
# tools/src/main/java/dev/cairn/tools/eval/ChatSciFactEval.java on a fresh Cairn (embedded
# PostgreSQL, free loopback ports, the default extractive generator): one new user; a subset of
# the corpus loaded with CreateItem (searchable, 8 in flight) — the documents relevant to the
# first --queries (100) train queries that have qrels, plus the first --distractors (400) other
# documents in corpus order — and the wait until GetIndexStatus reports it indexed; then each of
# those queries through SendMessage, each in a fresh conversation. It prints precision@1 of
# citations (answers whose first citation's item is a relevant document, over all answers; and
# over the answers that cite anything) and the share of NO_SOURCES answers.
#
#   ./mvnw -B -ntp -pl server,tools -am package -DskipTests
#   tools/eval/chat-scifact.sh                                  # ~10-15 minutes on a loaded 2-core machine
#   tools/eval/chat-scifact.sh --queries 30 --distractors 100   # a quick run
#   tools/eval/chat-scifact.sh --queries all --distractors all  # every judged query, all 5,183 documents
#   CAIRN_EVAL_SESSION=FILE tools/eval/chat-scifact.sh --queries all   # a Cairn already loaded (session.sh)
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
cairn_scifact_eval cairn-chat-scifact

export CAIRN_CHAT_GENERATOR=extractive
cairn_eval_server

timeout "${EVAL_TIMEOUT_SECONDS:-7200}" "$(cairn_java)" -cp "$TOOLS_JAR" dev.cairn.tools.eval.ChatSciFactEval \
  "${EVAL_SERVER_ARGS[@]}" --data "$DATA" "$@"
