#!/usr/bin/env python3
"""Every series the Grafana dashboard and the Prometheus alerts query must be in what a running
Cairn exports: a renamed meter, a Timer that lost its histogram (no _bucket), a renamed tag or tag
value would otherwise blank a panel or disarm an alert without a word.

  check_metrics.py --metrics-url http://127.0.0.1:PORT/metrics      # or --scrape FILE
                   [--dashboard FILE] [--rules FILE]                 # default: the chart's

Reads each panel's and template variable's query in helm/cairn/dashboards/cairn.json and each
`expr:` of helm/cairn/templates/prometheusrule.yaml (tools/dashboard/promql.py) and checks, against
one scrape of /metrics (Prometheus text format):
  - each metric name is a sample name exported as is (x_bucket, x_count, x_sum, x_max, x_total are
    the names Micrometer writes, so the suffix must match too); `up` and scrape_* series come from
    Prometheus, names a `record:` rule makes come from the rules;
  - each label a selector matches on is on some sample of that metric, and an `=` value is one of
    its values (namespace, job, pod, instance, container, endpoint come from the scrape, not from
    Cairn, and are not checked);
  - each label of a by/without/on/ignoring/group_* list or of label_values() is on some sample of
    a metric the same query selects.
The workload before the scrape must have touched every area (tools/dashboard/exercise.py does).
Prints each problem with where it is; exits 1 if there is any. Python 3 standard library only.
"""
from __future__ import annotations

import argparse
import collections
import pathlib
import re
import sys
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import promql  # noqa: E402

SUFFIXES = ("_bucket", "_count", "_sum", "_max", "_total", "_created", "_gcount", "_gsum")
_SAMPLE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s')
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def exported(text: str) -> dict[str, dict[str, set[str]]]:
    """metric name -> label -> the values seen, from a Prometheus text-format scrape."""
    series: dict[str, dict[str, set[str]]] = collections.defaultdict(lambda: collections.defaultdict(set))
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        labels = series[m.group(1)]
        for label, value in _LABEL.findall(m.group(2) or ""):
            labels[label].add(re.sub(r"\\(.)", r"\1", value))
    return series


def base(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def problems(queries: list[promql.Query], series: dict[str, dict[str, set[str]]], recorded: set[str]) -> list[str]:
    out = []
    for q in queries:
        present = []
        for sel in q.selectors:
            if sel.name is None:
                regex = [(lbl, v) for lbl, op, v in sel.matchers if lbl == "__name__" and op == "=~"]
                if regex and not any(re.fullmatch(regex[0][1], n) for n in series):
                    out.append(f"{q.where}: no exported metric matches __name__=~{regex[0][1]!r}")
                continue
            if sel.name in promql.SYNTHETIC or sel.name in recorded:
                continue
            if sel.name not in series:
                near = sorted(n for n in series if base(n) == base(sel.name))
                hint = f" (exported with that base: {', '.join(near)})" if near else ""
                out.append(f"{q.where}: {sel.name} is not exported{hint}")
                continue
            labels = series[sel.name]
            present.append(labels)
            for label, op, value in sel.matchers:
                if label in promql.TARGET_LABELS or label == "__name__":
                    continue
                if label not in labels:
                    out.append(f"{q.where}: {sel.name} has no label {label!r} (its labels: {', '.join(sorted(labels)) or 'none'})")
                elif op == "=" and value not in labels[label]:
                    out.append(f"{q.where}: {sel.name}{{{label}={value!r}}} is not exported "
                               f"(values seen: {', '.join(sorted(labels[label])[:12])})")
        for label in q.grouping:
            if label in promql.TARGET_LABELS or not present:
                continue
            if not any(label in labels for labels in present):
                out.append(f"{q.where}: groups by {label!r}, a label none of its series has")
    return sorted(set(out), key=out.index)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--metrics-url")
    src.add_argument("--scrape", type=pathlib.Path, help="a saved scrape of /metrics")
    ap.add_argument("--dashboard", type=pathlib.Path, action="append",
                    help=f"dashboard JSON (repeatable; default {promql.DASHBOARD.relative_to(promql.REPO)})")
    ap.add_argument("--rules", type=pathlib.Path, default=promql.RULES)
    args = ap.parse_args()
    if args.metrics_url:
        with urllib.request.urlopen(args.metrics_url, timeout=10) as r:
            text = r.read().decode()
    else:
        text = args.scrape.read_text()
    series = exported(text)
    dashboards = args.dashboard or [promql.DASHBOARD]
    queries = [q for d in dashboards for q in promql.dashboard_queries(d)]
    rules = promql.rule_queries(args.rules)
    names = {s.name for q in queries + rules for s in q.selectors if s.name}
    found = problems(queries + rules, series, promql.recorded_names(args.rules))
    where = f"{len(queries)} dashboard queries ({', '.join(d.name for d in dashboards)}) and {len(rules)} alert expressions"
    if found:
        print(f"check_metrics: FAILED: {len(found)} problem(s) in {where} against {len(series)} exported series names",
              file=sys.stderr)
        for p in found:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(f"check_metrics: {len(names)} metric names in {where}: all exported, with the labels they match on "
          f"({len(series)} series names scraped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
