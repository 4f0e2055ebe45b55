#!/usr/bin/env bash
# Runs every check Cairn has, as CI does: the Maven build with all unit and end-to-end tests
# (real PostgreSQL, real gRPC over Netty), buf lint and buf breaking of the contracts, the
# OpenAPI description's freshness, helm lint and render of the chart, the Node and Python
# interop checks against a freshly started server, the MCP acceptance from the Python MCP SDK
# (tools/mcp/run.sh: its own throwaway server), the gateway check (Envoy in front of a fresh
# server, called from Node and headless Chromium), the console's browser tests (Envoy in front
# of a fresh server serving web/dist, driven in headless Chromium) and schemathesis fuzzing the
# JSON/REST surface through that gateway (tools/fuzz/run.sh). Needs: a JDK 21+ (found automatically),
# Node.js with npm, Python 3, Go — dependencies come from Maven Central, npm, PyPI and the Go
# module proxy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/jdk.sh
source "$root/tools/lib/jdk.sh"
JAVA_HOME="$(cairn_java_home)"
export JAVA_HOME
cd "$root"

./mvnw -B -ntp verify
tools/buf/run.sh
tools/openapi/run.sh --check
tools/helm/run.sh
tools/interop/run.sh
tools/mcp/run.sh
tools/gateway/run.sh
tools/web/run.sh
tools/fuzz/run.sh
