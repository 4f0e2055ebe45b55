#!/usr/bin/env bash
# Lints the Cairn contracts (buf STANDARD) and builds the descriptor set Envoy transcodes with,
# proto/target/cairn-descriptor.binpb. Needs the third-party protos the proto module's Maven
# build unpacks into proto/target/proto-deps (the BSR is not reachable from the build machines).
# Works from any directory; exits non-zero on any lint error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
proto="${repo}/proto"

if [[ ! -d "${proto}/target/proto-deps" ]]; then
  echo "error: ${proto}/target/proto-deps is missing; run \`./mvnw -pl proto install\` in ${repo} first" >&2
  exit 2
fi

if [[ ! -x "${here}/node_modules/.bin/buf" ]]; then
  (cd "${here}" && npm ci --no-audit --no-fund --loglevel=error)
fi
buf="${here}/node_modules/.bin/buf"

# buf resolves paths against the workspace (proto/buf.yaml); --path keeps lint and build to our
# own module, the imports in target/proto-deps only resolve. The descriptor set carries imports
# and source info (buf build's defaults; Envoy's transcoder needs the imports) and google/rpc's
# status and error details, which no contract imports but the transcoder prints in error bodies.
cd "${proto}"
"${buf}" lint --path src/main/proto/cairn
"${buf}" build --path src/main/proto/cairn \
  --path target/proto-deps/google/rpc/status.proto --path target/proto-deps/google/rpc/error_details.proto \
  -o target/cairn-descriptor.binpb
echo "buf: lint clean; wrote ${proto}/target/cairn-descriptor.binpb"
"${here}/breaking.sh"
