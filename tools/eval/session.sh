# shellcheck shell=bash
# What the SciFact scripts (scifact-api.sh, fusion-grid.sh, chat-scifact.sh) do about the server:
# with CAIRN_EVAL_SESSION naming a session file (see EvalSession.java: target, admin.token,
# optionally jdbc, user.id, user.token) they start nothing and use the Cairn and the loaded corpus
# it names, so several evaluations share one load (scifact-all.sh writes one); without it each
# starts its own throwaway server as before. Sourced after tools/interop/lib/cairn-server.sh and
# cairn_scifact_eval. Sets EVAL_SERVER_ARGS, the java options that name the server.
#
# cairn_eval_server [START_FN]: START_FN (default cairn_start_eval_server) starts the own server.
cairn_eval_server() {
  if [[ -n "${CAIRN_EVAL_SESSION:-}" ]]; then
    [[ -f "$CAIRN_EVAL_SESSION" ]] || { echo "CAIRN_EVAL_SESSION: no file $CAIRN_EVAL_SESSION" >&2; exit 2; }
    echo "using the Cairn of session $CAIRN_EVAL_SESSION (no server started)"
    EVAL_SERVER_ARGS=(--session "$CAIRN_EVAL_SESSION")
  else
    "${1:-cairn_start_eval_server}"
    EVAL_SERVER_ARGS=(--target "$CAIRN_TARGET" --admin-token "$CAIRN_ADMIN_TOKEN")
  fi
}
