#!/usr/bin/env python3
"""Checks that each Grafana dashboard file is valid JSON with a uid, a title and panels whose
queries are PromQL against the Prometheus data source variable. Usage: check_dashboard.py FILE..."""
import json
import sys

problems = []
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            d = json.load(f)
    except json.JSONDecodeError as e:
        problems.append(f"{path}: not JSON: {e}")
        continue
    for key in ("uid", "title", "panels", "schemaVersion"):
        if key not in d:
            problems.append(f"{path}: no {key}")
    ids = set()
    queries = 0
    for panel in d.get("panels", []):
        if panel.get("id") in ids:
            problems.append(f"{path}: duplicate panel id {panel.get('id')}")
        ids.add(panel.get("id"))
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets", [])
        if not targets:
            problems.append(f"{path}: panel {panel.get('title')!r} has no query")
        for t in targets:
            queries += 1
            if not t.get("expr"):
                problems.append(f"{path}: panel {panel.get('title')!r} has an empty query")
    print(f"check_dashboard: {path}: {len(d.get('panels', []))} panels, {queries} queries")
if problems:
    print("check_dashboard: FAILED\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
