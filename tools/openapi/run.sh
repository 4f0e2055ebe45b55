#!/usr/bin/env bash
# Generates openapi/cairn.swagger.json, the OpenAPI (Swagger 2.0) description of the JSON/REST
# surface the gateway transcodes (the google.api.http annotations of proto/), with buf generate
# and protoc-gen-openapiv2. `--check` regenerates into a scratch folder and fails when the
# committed file differs (CI runs that); without it the committed file is rewritten.
# Needs Go (protoc-gen-openapiv2 is built once with `go install` into tools/openapi/bin, git-ignored),
# the buf CLI and proto/target/proto-deps that tools/buf/run.sh needs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
version="v2.33.0"   # github.com/grpc-ecosystem/grpc-gateway/v2
plugin="${here}/bin/protoc-gen-openapiv2"
buf="${repo}/tools/buf/node_modules/.bin/buf"

if [[ ! -x "${buf}" ]]; then
  (cd "${repo}/tools/buf" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [[ ! -x "${plugin}" || "$(cat "${here}/bin/.version" 2> /dev/null)" != "${version}" ]]; then
  mkdir -p "${here}/bin"
  GOBIN="${here}/bin" GOFLAGS=-mod=mod go install "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@${version}"
  echo "${version}" > "${here}/bin/.version"
fi
if [[ ! -d "${repo}/proto/target/proto-deps" ]]; then
  echo "error: proto/target/proto-deps is missing; run \`./mvnw -pl proto install\` in ${repo} first" >&2
  exit 2
fi

scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT
(cd "${repo}/proto" && PATH="${here}/bin:${PATH}" "${buf}" generate --template "${here}/buf.gen.yaml" \
  --path src/main/proto/cairn -o "${scratch}")
generated="${scratch}/openapi/cairn.swagger.json"
committed="${repo}/openapi/cairn.swagger.json"

if [[ "${1:-}" == "--check" ]]; then
  if ! diff -u "${committed}" "${generated}" > "${scratch}/diff.txt"; then
    head -40 "${scratch}/diff.txt" >&2
    echo "error: openapi/cairn.swagger.json is not current; run tools/openapi/run.sh and commit it" >&2
    exit 1
  fi
  echo "openapi: openapi/cairn.swagger.json is current"
else
  mkdir -p "${repo}/openapi"
  cp "${generated}" "${committed}"
  echo "openapi: wrote ${committed}"
fi
