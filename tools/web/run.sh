#!/usr/bin/env bash
# Console browser tests: builds web/ (stubs + vite), starts a throwaway Cairn that serves web/dist
# itself (CAIRN_WEB_DIR) with real Envoy in front (gateway/envoy.yaml, the `web` upstream), and
# runs `node --test web/tests/*.test.mjs` in headless Debian chromium (playwright-core) against
# the gateway's origin. Screenshots of each view go to docs/screenshots/.
#
#   ./mvnw -B -ntp -DskipTests package   # server/target/cairn-server.jar, proto/target/proto-deps
#   tools/web/run.sh [test files...]      # from any directory; non-zero if any test fails
#
# Installs what is missing, from the project's files: Envoy (tools/gateway/install.sh), Debian's
# chromium (apt-get, as root), npm packages (web/, tools/buf, tools/interop/node). Loopback only,
# free ports; stops only the pids it started. CAIRN_WEB_KEEP=1 keeps the temp folder (logs).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
# shellcheck source=../gateway/lib.sh
source "$HERE/../gateway/lib.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

gateway_require_build
gateway_work_dir cairn-web CAIRN_WEB_KEEP

# Tools and the build first (network, CPU), so no server start-up clock runs meanwhile.
ENVOY="$("$CAIRN_REPO/tools/gateway/install.sh")"
gateway_require_chromium
cairn_node_deps
"$CAIRN_REPO/tools/buf/run.sh" >/dev/null
web_build "$CAIRN_REPO"

CAIRN_ADMIN_TOKEN="$(python3 -c 'import secrets; print(secrets.token_urlsafe(36))')"
WEB_PORT="$(cairn_free_port)"
export CAIRN_ADMIN_TOKEN CAIRN_WEB_DIR="$CAIRN_REPO/web/dist" CAIRN_WEB_PORT="$WEB_PORT"
# Chat answers come from the chat test's fake OpenAI-compatible model server
# (web/tests/fake-llm.mjs), which that test starts on FAKE_LLM_PORT, so it decides when an answer
# pauses (to reload the page mid-answer, or press Stop). Nothing else calls the model.
FAKE_LLM_PORT="$(cairn_free_port)"
export FAKE_LLM_PORT CAIRN_CHAT_GENERATOR=openai CAIRN_CHAT_OPENAI_URL="http://127.0.0.1:$FAKE_LLM_PORT" \
  CAIRN_CHAT_OPENAI_MODEL=fake-model
cairn_start "$WORK"
cairn_wait_serving 120
GATEWAY_PORT="$(cairn_free_port)"
gateway_start_envoy "$ENVOY" "$WORK" "${CAIRN_TARGET#*:}" "$GATEWAY_PORT" "$WEB_PORT"
gateway_wait_ready "$GATEWAY_PORT" 60

echo "== console http://127.0.0.1:$GATEWAY_PORT/ (envoy pid $ENVOY_PID) -> cairn $CAIRN_TARGET, console :$WEB_PORT"
if (($# > 0)); then tests=("$@"); else tests=("$CAIRN_REPO"/web/tests/*.test.mjs); fi
touch "$WORK/secrets"
rc=0
CONSOLE_URL="http://127.0.0.1:$GATEWAY_PORT" CHROMIUM="$(command -v "${CAIRN_CHROMIUM:-chromium}")" \
  SCREENSHOT_DIR="${SCREENSHOT_DIR:-$CAIRN_REPO/docs/screenshots}" SECRETS_FILE="$WORK/secrets" \
  node --test --test-concurrency=1 "${tests[@]}" || rc=$?
# The tests noted every token and piece of test content they used: none may be in a log line.
if [[ -s "$WORK/secrets" ]] && grep -F -n -f "$WORK/secrets" "$CAIRN_LOG" "$WORK/envoy.log" >"$WORK/leaks" 2>/dev/null; then
  echo "web: a token or test content is in a server or Envoy log line:" >&2
  cut -c1-200 "$WORK/leaks" | head -n 5 >&2
  rc=1
else
  echo "web: no token or test content in the server's or Envoy's log ($(wc -l <"$WORK/secrets") values checked)"
fi
exit "$rc"
