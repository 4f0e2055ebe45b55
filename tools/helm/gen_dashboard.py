"""Writes helm/cairn/dashboards/cairn.json, the Grafana dashboard the chart ships (run after changing a
panel; CI checks the JSON in tools/helm/run.sh and, in tools/interop/run.sh with
tools/dashboard/check_metrics.py and in MonitoringContractTest, that every series it queries is
exported by a running server; tools/dashboard/render.sh draws it from a real run)."""
import json
import pathlib
import sys
S = 'namespace="$namespace", job="$job"'
panels = []
pid = [0]
y = [0]

def nid():
    pid[0] += 1
    return pid[0]

def row(title):
    panels.append({"type": "row", "title": title, "id": nid(), "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y[0]}, "panels": []})
    y[0] += 1

def ts(title, targets, unit="short", x=0, w=12, h=8, desc="", stack=False):
    p = {"type": "timeseries", "title": title, "id": nid(), "description": desc,
         "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "gridPos": {"h": h, "w": w, "x": x, "y": y[0]},
         "fieldConfig": {"defaults": {"unit": unit, "custom": {"fillOpacity": 10, "showPoints": "never",
                                                                 "stacking": {"mode": "normal" if stack else "none"}}},
                         "overrides": []},
         "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max", "lastNotNull"]},
                     "tooltip": {"mode": "multi", "sort": "desc"}},
         "targets": [{"expr": e, "legendFormat": l, "refId": chr(65 + i),
                      "datasource": {"type": "prometheus", "uid": "${datasource}"}} for i, (e, l) in enumerate(targets)]}
    panels.append(p)
    return p

def stat(title, expr, unit="short", x=0, w=6, h=4, desc="", thresholds=None):
    panels.append({"type": "stat", "title": title, "id": nid(), "description": desc,
                   "datasource": {"type": "prometheus", "uid": "${datasource}"},
                   "gridPos": {"h": h, "w": w, "x": x, "y": y[0]},
                   "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": thresholds or [
                       {"color": "green", "value": None}]}}, "overrides": []},
                   "options": {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background", "graphMode": "area"},
                   "targets": [{"expr": expr, "refId": "A", "datasource": {"type": "prometheus", "uid": "${datasource}"}}]})

def nextrow(h):
    y[0] += h

G = "grpc_server_processing_duration_seconds"
row("Overview")
stat("Replicas up", f'sum(up{{{S}}})', desc="Replicas Prometheus scrapes.",
     thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}])
stat("Calls / s", f'sum(rate({G}_count{{{S}}}[$__rate_interval]))', unit="reqps", x=6)
stat("Server-side errors", f'sum(rate({G}_count{{{S}, statusCode=~"INTERNAL|UNKNOWN|UNAVAILABLE|DEADLINE_EXCEEDED|DATA_LOSS"}}[$__rate_interval])) / sum(rate({G}_count{{{S}}}[$__rate_interval]))',
     unit="percentunit", x=12, desc="Share of calls Cairn answered INTERNAL, UNKNOWN, UNAVAILABLE, DEADLINE_EXCEEDED or DATA_LOSS (the CairnErrorRateHigh alert).",
     thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 0.01}, {"color": "red", "value": 0.05}])
stat("Audit verification failures (24h)", f'sum(increase(cairn_audit_verification_failures_total{{{S}}}[24h]))', x=18,
     desc="Audit chains that did not verify: any value above 0 is an incident (CairnAuditVerificationFailed).",
     thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}])
nextrow(4)

row("Requests")
ts("Calls by method", [(f'sum by (service, method) (rate({G}_count{{{S}}}[$__rate_interval]))', "{{service}}/{{method}}")], unit="reqps", x=0)
ts("Calls by status (not OK)", [(f'sum by (statusCode) (rate({G}_count{{{S}, statusCode!="OK"}}[$__rate_interval]))', "{{statusCode}}")], unit="reqps", x=12,
   desc="Client errors (INVALID_ARGUMENT, NOT_FOUND, UNAUTHENTICATED...) are expected in small numbers; INTERNAL never is.", stack=True)
nextrow(8)
ts("p95 latency by method (unary)", [(f'histogram_quantile(0.95, sum by (le, service, method) (rate({G}_bucket{{{S}, methodType="UNARY"}}[$__rate_interval])))', "{{service}}/{{method}}")], unit="s", x=0)
ts("Mean latency by method", [(f'sum by (service, method) (rate({G}_sum{{{S}}}[$__rate_interval])) / sum by (service, method) (rate({G}_count{{{S}}}[$__rate_interval]))', "{{service}}/{{method}}")], unit="s", x=12,
   desc="Streaming methods (UploadItem, DownloadItem, chat streams) last as long as the stream: read them apart from unary calls.")
nextrow(8)
ts("Errors by method and status", [(f'sum by (method, statusCode) (rate({G}_count{{{S}, statusCode!="OK"}}[$__rate_interval]))', "{{method}} {{statusCode}}")], unit="reqps", x=0, w=24)
nextrow(8)

row("Database pool")
ts("Connections", [(f'sum by (pod) (hikaricp_connections_active{{{S}}})', "active {{pod}}"),
                    (f'sum by (pod) (hikaricp_connections_idle{{{S}}})', "idle {{pod}}"),
                    (f'max by (pod) (hikaricp_connections_max{{{S}}})', "max {{pod}}")], x=0, w=8,
   desc="Per replica; CAIRN_DATABASE_POOL_SIZE is the max. Replicas x max must stay below PostgreSQL's max_connections.")
ts("Threads waiting for a connection", [(f'sum by (pod) (hikaricp_connections_pending{{{S}}})', "{{pod}}")], x=8, w=8,
   desc="Sustained waiting means the pool is saturated (CairnPoolSaturated).")
ts("Connection wait and timeouts", [(f'sum by (pod) (rate(hikaricp_connections_acquire_seconds_sum{{{S}}}[$__rate_interval])) / sum by (pod) (rate(hikaricp_connections_acquire_seconds_count{{{S}}}[$__rate_interval]))', "mean wait {{pod}}"),
                                     (f'sum by (pod) (rate(hikaricp_connections_timeout_total{{{S}}}[$__rate_interval]))', "timeouts/s {{pod}}")], unit="s", x=16, w=8)
nextrow(8)
ts("Connection use time", [(f'sum by (pod) (rate(hikaricp_connections_usage_seconds_sum{{{S}}}[$__rate_interval])) / sum by (pod) (rate(hikaricp_connections_usage_seconds_count{{{S}}}[$__rate_interval]))', "mean {{pod}}"),
                           (f'max by (pod) (hikaricp_connections_usage_seconds_max{{{S}}})', "max {{pod}}")], unit="s", x=0, w=12,
   desc="How long a transaction holds a connection.")
ts("Database listener reconnects", [(f'sum by (pod) (increase(cairn_db_listener_reconnects_total{{{S}}}[$__rate_interval]))', "{{pod}}")], x=12, w=12,
   desc="LISTEN/NOTIFY connections re-established (token revocations, audit chaining). Non-zero after a PostgreSQL restart or failover.")
nextrow(8)

row("Jobs")
ts("Queue depth by kind", [(f'max by (kind) (cairn_jobs_depth{{{S}}})', "{{kind}}")], x=0, w=8,
   desc="Pending and running jobs of the shared queue (every replica reports the same: max). CairnJobBacklog.")
ts("Oldest due job by kind", [(f'max by (kind) (cairn_jobs_oldest_age_seconds{{{S}}})', "{{kind}}")], unit="s", x=8, w=8,
   desc="How long the oldest due job has waited; for search-index it is the ingestion lag (CairnIngestionLag).")
ts("Dead letters by kind", [(f'max by (kind) (cairn_jobs_dead_letters{{{S}}})', "{{kind}}")], x=16, w=8,
   desc="Jobs that exhausted CAIRN_JOBS_MAX_ATTEMPTS, kept in state DEAD for inspection.")
nextrow(8)
ts("Job outcomes", [(f'sum by (kind) (rate(cairn_jobs_completed_total{{{S}}}[$__rate_interval]))', "completed {{kind}}"),
                    (f'sum by (kind) (rate(cairn_jobs_failures_total{{{S}}}[$__rate_interval]))', "failed attempts {{kind}}"),
                    (f'sum by (kind) (rate(cairn_jobs_dead_total{{{S}}}[$__rate_interval]))', "dead-lettered {{kind}}")], unit="ops", x=0, w=12)
ts("Job run time p95 by kind", [(f'histogram_quantile(0.95, sum by (le, kind) (rate(cairn_jobs_run_seconds_bucket{{{S}}}[$__rate_interval])))', "{{kind}}")], unit="s", x=12, w=12)
nextrow(8)

row("Search and indexing")
ts("Searches by mode and answering stage", [(f'sum by (mode, stage) (rate(cairn_search_latency_seconds_count{{{S}}}[$__rate_interval]))', "{{mode}} {{stage}}")], unit="reqps", x=0, w=8,
   desc="stage: the fallback that answered (EXACT, PREFIX, TYPO, SEMANTIC...); NONE: nothing found.")
ts("Search p95 latency by mode", [(f'histogram_quantile(0.95, sum by (le, mode) (rate(cairn_search_latency_seconds_bucket{{{S}}}[$__rate_interval])))', "{{mode}}")], unit="s", x=8, w=8)
ts("Indexing", [(f'sum(rate(cairn_search_chunks_indexed_total{{{S}}}[$__rate_interval]))', "chunks indexed/s"),
                (f'sum by (reason) (rate(cairn_search_index_failures_total{{{S}}}[$__rate_interval]))', "extraction failed: {{reason}}")], unit="ops", x=16, w=8,
   desc="Chunks written by the search-index job, and items whose text could not be extracted.")
nextrow(8)
ts("Embedding time per item (index job)", [(f'sum(rate(cairn_search_embed_latency_seconds_sum{{{S}}}[$__rate_interval])) / sum(rate(cairn_search_embed_latency_seconds_count{{{S}}}[$__rate_interval]))', "mean"),
                                            (f'max(cairn_search_embed_latency_seconds_max{{{S}}})', "max")], unit="s", x=0, w=12)
ts("Token cache", [(f'sum by (result) (rate(cairn_auth_cache_lookups_total{{{S}}}[$__rate_interval]))', "lookups {{result}}"),
                   (f'sum by (scope) (rate(cairn_auth_cache_invalidations_total{{{S}}}[$__rate_interval]))', "invalidations {{scope}}"),
                   (f'min(cairn_auth_cache_serving{{{S}}})', "serving (min over replicas)")], x=12, w=12,
   desc="bypass: the replica asks the database for each call because its LISTEN connection is down (CairnAuthListenerDown).")
nextrow(8)

row("Chat")
ts("Answers in progress", [(f'sum by (pod) (cairn_chat_generations_active{{{S}}})', "generating {{pod}}"),
                           (f'sum by (pod) (cairn_chat_streams_active{{{S}}})', "streams open {{pod}}")], x=0, w=8,
   desc="Answers a replica is generating, and SendMessage/StreamMessage calls streaming one to a client.")
ts("Time to first token p95 by generator", [(f'histogram_quantile(0.95, sum by (le, generator) (rate(cairn_chat_time_to_first_token_seconds_bucket{{{S}}}[$__rate_interval])))', "{{generator}}")], unit="s", x=8, w=8,
   desc="From a send reaching the server (authentication included) to the first answer text.")
ts("Retrieval before an answer", [(f'histogram_quantile(0.95, sum by (le) (rate(cairn_chat_retrieval_seconds_bucket{{{S}}}[$__rate_interval])))', "p95"),
                                  (f'sum(rate(cairn_chat_retrieval_seconds_sum{{{S}}}[$__rate_interval])) / sum(rate(cairn_chat_retrieval_seconds_count{{{S}}}[$__rate_interval]))', "mean")], unit="s", x=16, w=8,
   desc="The hybrid search with the question's vector, the passages read and audited, the citations stored.")
nextrow(8)

row("Audit")
ts("Audit verification failures", [(f'sum by (source) (increase(cairn_audit_verification_failures_total{{{S}}}[$__rate_interval]))', "{{source}}")], x=0, w=12,
   desc="verify: a VerifyAuditLog call found a broken chain; checkpoint: the signer refused to sign over one. Either is an incident.")
ts("Audit calls", [(f'sum by (method) (rate({G}_count{{{S}, service="cairn.vault.v1.AuditService"}}[$__rate_interval]))', "{{method}}")], unit="reqps", x=12, w=12)
nextrow(8)

row("JVM")
ts("Heap used", [(f'sum by (pod) (jvm_memory_used_bytes{{{S}, area="heap"}})', "{{pod}}")], unit="bytes", x=0, w=8)
ts("GC pause time", [(f'sum by (pod) (rate(jvm_gc_pause_seconds_sum{{{S}}}[$__rate_interval]))', "{{pod}}")], unit="percentunit", x=8, w=8,
   desc="Share of wall time spent in GC pauses.")
ts("Process CPU", [(f'max by (pod) (process_cpu_usage{{{S}}})', "{{pod}}")], unit="percentunit", x=16, w=8,
   desc="Share of the CPUs the JVM sees; the HPA scales on the container's CPU request instead.")
nextrow(8)

def var(name, query, label, include_all=False):
    return {"name": name, "type": "query", "label": label, "refresh": 2, "sort": 1,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "definition": query, "query": {"query": query, "refId": name}, "includeAll": include_all, "multi": False}

dashboard = {
    "uid": "cairn-overview",
    "title": "Cairn",
    "description": "Cairn server replicas: gRPC calls, database pool, job queue, search and indexing, chat, audit, JVM. Panels and alerts in OPERATIONS.md.",
    "tags": ["cairn"],
    "editable": True,
    "graphTooltip": 1,
    "schemaVersion": 39,
    "version": 1,
    "time": {"from": "now-6h", "to": "now"},
    "refresh": "30s",
    "timezone": "",
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source", "current": {}},
        var("namespace", 'label_values(grpc_server_processing_duration_seconds_count, namespace)', "Namespace"),
        var("job", 'label_values(grpc_server_processing_duration_seconds_count{namespace="$namespace"}, job)', "Release"),
    ]},
    "annotations": {"list": []},
    "panels": panels,
}
out = pathlib.Path(__file__).resolve().parents[2] / "helm" / "cairn" / "dashboards" / "cairn.json"
text = json.dumps(dashboard, indent=2) + "\n"
if sys.argv[1:] == ["--check"]:
    if out.read_text() != text:
        sys.exit(f"error: {out} is not what tools/helm/gen_dashboard.py writes; run it and commit the result")
    print(f"gen_dashboard: {out.name} is current")
else:
    out.write_text(text)
    print(f"wrote {out}: {len(panels)} panels")
