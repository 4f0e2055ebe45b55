#!/usr/bin/env bash
# Renders docs/dashboard.png: the panels of helm/cairn/dashboards/cairn.json evaluated by a real
# Prometheus over a short local run of a real Cairn, drawn by tools/dashboard/render.py (matplotlib;
# not Grafana, not a screenshot). Not part of CI.
#
#   ./mvnw -B -ntp -DskipTests install      # server/target/cairn-server.jar, proto/target/proto-deps
#   tools/dashboard/render.sh               # ~6 minutes: start-up, RENDER_SECONDS (300) of load, drawing
#
# What runs, all on loopback and stopped (only the pids started here) at the end:
#   - Cairn (tools/interop/lib/cairn-server.sh: fresh data folder, embedded PostgreSQL, free ports);
#   - Prometheus 2.42, Debian's package `prometheus` (apt-get installs it when missing; the package's
#     own service is not used), scraping Cairn's /metrics every second with the target labels
#     Prometheus Operator's ServiceMonitor gives (namespace, job, pod, service) and the chart's
#     metricRelabelings, so the dashboard's queries run as they do in a cluster;
#   - tools/dashboard/exercise.py once (every area, an index failure, the audit verified), then
#     tools/load/load.py open loop at RENDER_RATE (4) calls/s for RENDER_SECONDS: document writes,
#     reads, searches, chat answers;
#   - render.py over the run's window into RENDER_OUT (docs/dashboard.png).
# Needs: a JDK 21+, Node.js (the health wait), Python 3 with venv; installs tools/dashboard/.venv
# (matplotlib, requirements.txt) and tools/interop/python/.venv when missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
SECONDS_LOAD="${RENDER_SECONDS:-300}"
RATE="${RENDER_RATE:-4}"
OUT="${RENDER_OUT:-$CAIRN_REPO/docs/dashboard.png}"
PY="$CAIRN_REPO/tools/interop/python/.venv/bin/python"
VENV="$HERE/.venv"

cairn_require_jar
[[ -d "$CAIRN_REPO/proto/target/proto-deps" ]] || { echo "missing proto/target/proto-deps: run ./mvnw -B -ntp -DskipTests install" >&2; exit 2; }
if [[ ! -x "$PY" ]]; then
  python3 -m venv "$CAIRN_REPO/tools/interop/python/.venv"
  "$PY" -m pip install --quiet --disable-pip-version-check -r "$CAIRN_REPO/tools/interop/python/requirements.txt"
fi
if [[ ! -f "$VENV/.requirements-installed" || "$HERE/requirements.txt" -nt "$VENV/.requirements-installed" ]]; then
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
  touch "$VENV/.requirements-installed"
fi
PROMETHEUS="$(command -v prometheus || true)"
if [[ -z "$PROMETHEUS" ]]; then
  echo "render: installing Debian's prometheus (apt-get) ..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
  PROMETHEUS="$(command -v prometheus)"
fi
PROM_VERSION="$("$PROMETHEUS" --version 2>&1 | awk 'NR == 1 {print $3}')"
cairn_node_deps

cairn_work_dir cairn-dashboard
PROM_PID=""
# Prometheus first, then the library's cleanup (server log on failure, server stopped, WORK removed).
_render_cleanup() {
  local rc=$?
  set +e   # else, after a failure, `(exit "$rc")` would end the trap before Cairn is stopped
  cairn_stop_pid "$PROM_PID" prometheus
  (exit "$rc")
  _cairn_work_cleanup
}
trap _render_cleanup EXIT

export CAIRN_VAULT_WRITES_PER_MINUTE=1000000
cairn_start "$WORK"
cairn_wait_serving 300   # a loaded 2-core machine takes minutes
metrics_target="${CAIRN_METRICS_URL#http://}"; metrics_target="${metrics_target%/metrics}"

# The scrape a ServiceMonitor of the chart makes (helm/cairn/templates/servicemonitor.yaml): the
# Operator labels every target with namespace, pod, service (the Kubernetes Service) and job (the
# Service's name); the gRPC meters' own `service` label therefore arrives as exported_service and
# the chart's metricRelabelings put it back.
PROM_PORT="$(cairn_free_port)"
PROM_URL="http://127.0.0.1:$PROM_PORT"
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 15s
scrape_configs:
  - job_name: cairn
    static_configs:
      - targets: ["$metrics_target"]
        labels: {namespace: cairn, pod: cairn-0, service: cairn, container: server, endpoint: metrics}
    metric_relabel_configs:
      - source_labels: [exported_service]
        regex: (.+)
        target_label: service
      - action: labeldrop
        regex: exported_service
EOF
"$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1d >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
echo "prometheus $PROM_VERSION pid $PROM_PID on $PROM_URL, scraping $CAIRN_METRICS_URL every 1 s"
for _ in $(seq 1 60); do
  curl -fsS "$PROM_URL/-/ready" >/dev/null 2>&1 && break
  kill -0 "$PROM_PID" 2>/dev/null || { tail -n 20 "$WORK/prometheus.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$PROM_URL/-/ready" >/dev/null || { echo "prometheus did not get ready" >&2; tail -n 20 "$WORK/prometheus.log" >&2; exit 1; }

start="$(date +%s)"
sleep 10   # a few idle scrapes first: the panels start from a quiet server
"$PY" "$HERE/exercise.py" --generate --target "$CAIRN_TARGET" --token-file "$CAIRN_TOKEN_FILE"
# Bounded: load.py stops after SECONDS_LOAD; the whole run is also capped. The picture ends when the
# load does (load.py then waits for the index and re-reads nothing more than GetIndexStatus).
load_start="$(date +%s)"
timeout $((SECONDS_LOAD + 240)) "$PY" "$CAIRN_REPO/tools/load/load.py" --no-generate --target "$CAIRN_TARGET" \
  --token-file "$CAIRN_TOKEN_FILE" --rate "$RATE" --duration "$SECONDS_LOAD" --wait-indexed 120 \
  --out "$WORK/load.json" | tail -n 25
end=$((load_start + SECONDS_LOAD))
load_avg="$(cut -d' ' -f1-3 /proc/loadavg)"
span_min="$(python3 -c "print(f'{($end - $start) / 60:.1f}')")"
"$VENV/bin/python" "$HERE/render.py" --prometheus "$PROM_URL" --start "$start" --end "$end" --out "$OUT" \
  --var namespace=cairn --var job=cairn --var datasource=prometheus --scrape-interval 1 \
  --note "Panels of helm/cairn/dashboards/cairn.json evaluated by Prometheus $PROM_VERSION over a ${span_min}-minute local run (one replica, embedded PostgreSQL; tools/dashboard/exercise.py, then tools/load/load.py at ${RATE} calls/s for ${SECONDS_LOAD} s; load average $load_avg on 2 shared cores), drawn by tools/dashboard/render.py (matplotlib) — not a Grafana screenshot."
echo "render: load average $load_avg (1, 5, 15 min)"
