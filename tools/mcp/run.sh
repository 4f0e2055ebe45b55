#!/usr/bin/env bash
# MCP acceptance from another language: starts a throwaway Cairn with its MCP endpoint on a free
# loopback port and runs check.py, a client built on the official Python `mcp` SDK: it discovers the
# tools, runs create_item/search/fetch/ask against the real server, and is refused without a token
# (401 + RFC 9728 metadata). Prints `N passed, N failed` last; exits non-zero if any check fails.
#
#   ./mvnw -B -ntp -DskipTests package   # builds server/target/cairn-server.jar
#   tools/mcp/run.sh
#
# Needs a JDK 21+ and python3 3.10+; installs tools/mcp/.venv from requirements.txt when missing or
# older. Loopback only; the server gets a temp data folder and free ports and only its pid is stopped.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"

cairn_require_jar
venv="$HERE/.venv" stamp="$HERE/.venv/.requirements-installed"
if [[ ! -f "$stamp" || "$HERE/requirements.txt" -nt "$stamp" ]]; then
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
  touch "$stamp"
fi

cairn_work_dir cairn-mcp
mcp_port="$(cairn_free_port)"
export CAIRN_MCP_PORT="$mcp_port" CAIRN_MCP_ADDRESS=127.0.0.1
cairn_start "$WORK"
url="http://127.0.0.1:$mcp_port/mcp"

# ready once the endpoint answers its metadata and the demo user's token is written (both after migrations)
for ((i = 0; i < 240; i++)); do
  if [[ -s "$CAIRN_TOKEN_FILE" ]] && "$venv/bin/python" -c "import sys, urllib.request
sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$mcp_port/.well-known/oauth-protected-resource', timeout=2).status == 200 else 1)" 2>/dev/null; then
    break
  fi
  kill -0 "$CAIRN_PID" 2>/dev/null || { echo "cairn server exited during start-up" >&2; exit 1; }
  sleep 0.5
done
[[ -s "$CAIRN_TOKEN_FILE" ]] || { echo "no MCP endpoint or demo token after 120 s" >&2; exit 1; }

"$venv/bin/python" "$HERE/check.py" --url "$url" --token-file "$CAIRN_TOKEN_FILE"
