#!/usr/bin/env python3
"""Checks what `helm template` rendered for the Cairn chart: hardened pods, gRPC health probes,
secrets only by reference, the migration hook, the gateway config pointed at the cluster, and
the monitoring objects. Usage: check_rendered.py default|production rendered.yaml"""
import json
import sys

import yaml

SECRET_VARS = {
    "CAIRN_DATABASE_URL", "CAIRN_DATABASE_PASSWORD", "CAIRN_DATABASE_APP_PASSWORD", "CAIRN_KEK",
    "CAIRN_KEK_PREVIOUS", "CAIRN_AUDIT_HMAC_KEY", "CAIRN_ATTESTATION_KEY", "CAIRN_PAGE_TOKEN_KEY",
    "CAIRN_ADMIN_TOKEN", "CAIRN_EMBEDDINGS_KEY",
}
REQUIRED_SECRET_VARS = {
    "CAIRN_DATABASE_URL", "CAIRN_DATABASE_APP_PASSWORD", "CAIRN_KEK",
    "CAIRN_AUDIT_HMAC_KEY", "CAIRN_ATTESTATION_KEY",
}
# the schema owner's password: only where migrations run (the hook Job, or pods without it)
OWNER_SECRET = "CAIRN_DATABASE_PASSWORD"
ALERTS = {
    "CairnDown", "CairnErrorRateHigh", "CairnLatencyHigh", "CairnJobBacklog", "CairnIngestionLag",
    "CairnJobsDeadLettered", "CairnPoolSaturated", "CairnPoolTimeouts", "CairnAuditVerificationFailed",
}

problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def pod_spec(doc):
    return doc["spec"]["template"]["spec"]


def check_hardened(doc):
    name = f'{doc["kind"]}/{doc["metadata"]["name"]}'
    spec = pod_spec(doc)
    pod = spec.get("securityContext", {})
    check(pod.get("runAsNonRoot") is True, f"{name}: pod runAsNonRoot is not true")
    check(pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: pod seccomp is not RuntimeDefault")
    check(spec.get("automountServiceAccountToken") is False, f"{name}: mounts a service account token")
    for c in spec["containers"] + spec.get("initContainers", []):
        sc = c.get("securityContext", {})
        where = f"{name}/{c['name']}"
        check(sc.get("readOnlyRootFilesystem") is True, f"{where}: root filesystem is writable")
        check(sc.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation allowed")
        check("ALL" in sc.get("capabilities", {}).get("drop", []), f"{where}: capabilities not dropped")
        check(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp is not RuntimeDefault")
        check(c.get("resources", {}).get("requests"), f"{where}: no resource requests")
        check(c.get("resources", {}).get("limits", {}).get("memory"), f"{where}: no memory limit")
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        check("/tmp" in mounts, f"{where}: no writable /tmp")


def check_env(doc):
    name = f'{doc["kind"]}/{doc["metadata"]["name"]}'
    env = {e["name"]: e for e in pod_spec(doc)["containers"][0]["env"]}
    for var in SECRET_VARS & env.keys():
        check("value" not in env[var] and "secretKeyRef" in env[var].get("valueFrom", {}),
              f"{name}: {var} is not a secretKeyRef")
    check(REQUIRED_SECRET_VARS <= env.keys(), f"{name}: missing {sorted(REQUIRED_SECRET_VARS - env.keys())}")
    check(env.get("CAIRN_DATA_DIR", {}).get("value") == "/var/lib/cairn", f"{name}: CAIRN_DATA_DIR is not the data volume")


def check_tracing(variant, server, docs):
    # OTLP export only where values name a collector, and then the server may reach it
    env = {e["name"]: e for e in pod_spec(server)["containers"][0]["env"]}
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", {}).get("value")
    check(env.get("OTEL_SERVICE_NAME", {}).get("value") == "cairn", "server: OTEL_SERVICE_NAME is not cairn")
    check("k8s.pod.name=$(POD_NAME)" in env.get("OTEL_RESOURCE_ATTRIBUTES", {}).get("value", ""),
          "server: OTEL_RESOURCE_ATTRIBUTES does not name the pod")
    policies = [d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "cairn"]
    egress_ports = {p.get("port") for d in policies for rule in d["spec"].get("egress", []) for p in rule.get("ports", [])}
    if variant == "production":
        check(endpoint == "http://otel-collector.monitoring:4318", f"production: OTLP endpoint is {endpoint!r}")
        check(4318 in egress_ports, "production: the server's NetworkPolicy does not let spans reach the collector")
    else:
        check(endpoint is None, "default values export spans: OTLP must be off unless configured")
        check(4318 not in egress_ports, "default values open the collector port without a collector")


def check_migration(variant, server, jobs):
    # With the hook, the Job migrates (`migrate` runs first) and the pods only check the schema;
    # without it, every pod migrates at start.
    server_env = {e["name"]: e.get("value") for e in pod_spec(server)["containers"][0]["env"]}
    if not jobs:
        check("CAIRN_DATABASE_MIGRATE" not in server_env, "no migration hook, yet the server pods do not migrate")
        check(OWNER_SECRET in server_env, "no migration hook: the pods migrate, yet get no owner password")
        return
    check(OWNER_SECRET not in server_env,
          "server pods get the schema owner's password although the hook Job migrates (they need only the app role)")
    job = jobs[0]
    hooks = job["metadata"].get("annotations", {}).get("helm.sh/hook", "")
    check(set(hooks.split(",")) == {"pre-install", "pre-upgrade"}, f"migration Job hook is {hooks!r}")
    check(server_env.get("CAIRN_DATABASE_MIGRATE") == "false",
          "server pods migrate at start although the hook Job migrates (set CAIRN_DATABASE_MIGRATE=false)")
    spec = pod_spec(job)
    steps = [c["args"] for c in spec.get("initContainers", []) + spec["containers"]]
    expected = [["migrate"]] if variant == "migrate-only" else [["migrate"], ["rewrap-keys"]]
    check(steps == expected, f"migration Job runs {steps}, expected {expected} in this order")
    for c in spec.get("initContainers", []) + spec["containers"]:
        env = {e["name"]: e for e in c["env"]}
        check("CAIRN_DATABASE_MIGRATE" not in env, f"migration Job/{c['name']}: CAIRN_DATABASE_MIGRATE is set: it must migrate")
        expected_env = (server_env.keys() - {"CAIRN_DATABASE_MIGRATE"}) | {OWNER_SECRET}
        check(env.keys() == expected_env,
              f"migration Job/{c['name']}: its environment is not the server's plus the owner password: "
              f"{sorted(env.keys() ^ expected_env)}")


def main():
    variant, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    kinds = set(by_kind)

    check("Secret" not in kinds, "the chart renders a Secret: secrets must come from secrets.existingSecret")
    deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
    server = deployments.get("cairn")
    gateway = deployments.get("cairn-gateway")
    check(server is not None and gateway is not None, f"expected Deployments cairn and cairn-gateway, got {sorted(deployments)}")
    jobs = by_kind.get("Job", [])
    expected_jobs = 0 if variant == "no-hook" else 1
    check(len(jobs) == expected_jobs, f"expected {expected_jobs} migration Job, got {len(jobs)}")
    if problems:
        return

    for d in list(deployments.values()) + jobs:
        check_hardened(d)
    for d in [server] + jobs:
        check_env(d)

    check_tracing(variant, server, docs)

    c = pod_spec(server)["containers"][0]
    port = next(p["containerPort"] for p in c["ports"] if p["name"] == "grpc")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        check(c.get(probe, {}).get("grpc", {}).get("port") == port, f"server: {probe} is not a gRPC health probe on {port}")

    # Lucene's HNSW search runs its SIMD code only with the vector module added to the JVM
    for d in [server] + jobs:
        for ct in pod_spec(d).get("initContainers", []) + pod_spec(d)["containers"]:
            check("--add-modules=jdk.incubator.vector" in ct.get("command", []),
                  f"{d['metadata']['name']}/{ct['name']}: the JVM runs without --add-modules=jdk.incubator.vector")

    check_migration(variant, server, jobs)

    configmaps = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    envoy_cm = configmaps.get("cairn-gateway")
    check(envoy_cm is not None, "no gateway ConfigMap")
    if envoy_cm:
        envoy = yaml.safe_load(envoy_cm["data"]["envoy.yaml"])
        text = json.dumps(envoy)
        check("static_resources" in envoy, "gateway envoy.yaml has no static_resources")
        check("${" not in text, "gateway envoy.yaml keeps a ${...} placeholder (substitution missed)")
        check("-headless." in text, "gateway envoy.yaml does not name the headless Service")
        check("cairn-headless.cairn.svc.cluster.local" in text, "gateway envoy.yaml does not name the headless Service")
        if "proto_descriptor" in text:
            check("/etc/envoy/cairn-descriptor.binpb" in text, "gateway descriptor path not substituted")
    dashboards = [d for d in configmaps.values() if d["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    check(len(dashboards) == 1, "no ConfigMap with the grafana_dashboard label")
    for d in dashboards:
        for key, value in d["data"].items():
            dashboard = json.loads(value)
            check(dashboard.get("panels"), f"dashboard {key} has no panels")

    rules = by_kind.get("PrometheusRule", [])
    check(len(rules) == 1, "no PrometheusRule")
    if rules:
        alerts = {r["alert"] for g in rules[0]["spec"]["groups"] for r in g["rules"]}
        check(ALERTS <= alerts, f"alerts missing: {sorted(ALERTS - alerts)}")
    monitors = by_kind.get("ServiceMonitor", [])
    check(any(e["port"] == "metrics" for m in monitors for e in m["spec"]["endpoints"]), "no ServiceMonitor on the metrics port")
    # the gRPC meters' `service` label, renamed exported_service by the Operator's own `service`
    # target label, must be put back: the dashboard and alerts group and filter by it
    check(any(r.get("sourceLabels") == ["exported_service"] and r.get("targetLabel") == "service"
              for m in monitors for e in m["spec"]["endpoints"] if e["port"] == "metrics"
              for r in e.get("metricRelabelings", [])), "the ServiceMonitor does not restore the gRPC `service` label")
    for kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
        check(kind in kinds, f"no {kind}")

    if variant == "production":
        hpas = {d["spec"]["scaleTargetRef"]["name"] for d in by_kind.get("HorizontalPodAutoscaler", [])}
        check("cairn" in hpas, "production: no HPA for the server")
        check("replicas" not in server["spec"], "production: the Deployment fixes replicas while the HPA scales it")
        check(pod_spec(server).get("topologySpreadConstraints"), "production: replicas are not spread over zones")

    if not problems:
        print(f"check_rendered: {variant}: {len(docs)} objects ({', '.join(sorted(kinds))}) checked")


main()
if problems:
    print("check_rendered: FAILED\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
