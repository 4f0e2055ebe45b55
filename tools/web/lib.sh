# shellcheck shell=bash
# Building the console (web/) for scripts: sourced by tools/run.sh and tools/web/run.sh.

# web_build REPO: npm ci when node_modules is missing or older than the lock file, then
# `npm run build` (stubs from the contracts + vite) when web/dist is missing or older than any
# of web/'s sources or the contracts. Needs proto/target/proto-deps (the proto module's build).
web_build() {
  local repo="$1" web="$1/web" stale
  command -v npm >/dev/null || { echo "web: npm is missing: install Node.js 20.19+ (or run tools/run.sh --no-gateway)" >&2; exit 2; }
  if [[ ! -f "$web/node_modules/.package-lock.json" || "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]]; then
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  stale=""
  if [[ -f "$web/dist/index.html" ]]; then
    stale="$(find "$web/src" "$web/index.html" "$web/package.json" "$web/vite.config.ts" "$repo/proto/src" \
      -newer "$web/dist/index.html" -type f -not -path "$web/src/gen/*" -print -quit 2>/dev/null || true)"
  fi
  if [[ ! -f "$web/dist/index.html" || -n "$stale" ]]; then
    echo "web: building the console ..." >&2
    (cd "$web" && npm run --silent build) >&2
  fi
}
