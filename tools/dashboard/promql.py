"""What the dashboard and the alerts query, read out of their PromQL: shared by check_metrics.py
(are those series exported?) and render.py (evaluate each panel through Prometheus).

Not a PromQL parser: a tokenizer that knows enough of the grammar to tell a metric name from a
function, an aggregation's label list, a label matcher, a string, a number or a duration. Every
expression it reads is one this repository wrote (helm/cairn/dashboards, prometheusrule.yaml).
"""
from __future__ import annotations

import dataclasses
import json
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "helm" / "cairn" / "dashboards" / "cairn.json"
RULES = REPO / "helm" / "cairn" / "templates" / "prometheusrule.yaml"

# Keywords followed by a parenthesised label list, not by an expression.
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
OPERATOR_WORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
# Aggregations may put their label list before the argument: `sum by (le) (rate(...))`.
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
                "quantile", "limitk", "limit_ratio"}
# Series Prometheus makes itself, per target or per rule: never on /metrics.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
             "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE"}
# Labels the scrape adds (Prometheus Operator's ServiceMonitor: namespace, pod, container,
# endpoint, job; instance from the address): never on /metrics either.
TARGET_LABELS = {"namespace", "job", "pod", "instance", "container", "endpoint"}

_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_NUMBER = re.compile(r"[0-9.][0-9A-Za-z_.+]*")  # 0.95, 5m, 1e3, 0x1f
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')\s*,?')


@dataclasses.dataclass
class Selector:
    name: str | None                      # None: a label-only selector without an exact __name__
    matchers: list[tuple[str, str, str]]  # (label, op, value)


@dataclasses.dataclass
class Query:
    where: str                            # "panel 'Calls / s'" / "alert CairnDown"
    expr: str
    selectors: list[Selector]
    grouping: list[str]                   # labels named in by/without/on/ignoring/group_* lists


def grafana_to_promql(expr: str, rate_interval: str = "1m") -> str:
    """Grafana's variables replaced the way Grafana would before sending the query."""
    expr = expr.replace("$__rate_interval", rate_interval).replace("$__interval", rate_interval)
    expr = expr.replace("$__range", rate_interval)
    return expr


def _skip_string(s: str, i: int) -> int:
    quote = s[i]
    i += 1
    while i < len(s) and s[i] != quote:
        i += 2 if s[i] == "\\" and quote != "`" else 1
    return i + 1


def parse(expr: str, where: str = "") -> Query:
    s = grafana_to_promql(expr)
    selectors: list[Selector] = []
    grouping: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c.isspace() or c in "(),+-*/%^<>=!":
            i += 1
        elif c in "\"'`":
            i = _skip_string(s, i)
        elif c == "[":
            i = s.index("]", i) + 1
        elif c == "{":
            end, matchers = _matchers(s, i)
            selectors.append(_selector(None, matchers))
            i = end
        elif c.isdigit() or c == ".":
            i = _NUMBER.match(s, i).end()
        elif c == "$":  # a dashboard variable outside a string ($namespace): not a name
            i = _IDENT.match(s, i + 1).end() if _IDENT.match(s, i + 1) else i + 1
        else:
            m = _IDENT.match(s, i)
            if not m:
                raise ValueError(f"{where}: cannot read {s[i:i + 20]!r} in {expr!r}")
            word, i = m.group(), m.end()
            j = i
            while j < len(s) and s[j].isspace():
                j += 1
            if word.lower() in LABEL_LIST_KEYWORDS:
                if j < len(s) and s[j] == "(":
                    close = s.index(")", j)
                    grouping += [w.strip() for w in s[j + 1:close].split(",") if w.strip()]
                    i = close + 1
            elif word.lower() in OPERATOR_WORDS or word in AGGREGATIONS:
                pass
            elif j < len(s) and s[j] == "(":
                pass  # a function or an aggregation: its argument follows
            else:
                matchers = []
                if j < len(s) and s[j] == "{":
                    i, matchers = _matchers(s, j)
                selectors.append(_selector(word, matchers))
    return Query(where, expr, selectors, grouping)


def _matchers(s: str, i: int) -> tuple[int, list[tuple[str, str, str]]]:
    close = i + 1
    matchers = []
    while True:
        while close < len(s) and s[close].isspace():
            close += 1
        if s[close] == "}":
            return close + 1, matchers
        m = _MATCHER.match(s, close)
        if not m:
            raise ValueError(f"cannot read the label matchers at {s[i:i + 60]!r}")
        matchers.append((m.group(1), m.group(2), re.sub(r"\\(.)", r"\1", m.group(3)[1:-1])))
        close = m.end()


def _selector(name: str | None, matchers: list[tuple[str, str, str]]) -> Selector:
    rest = []
    for label, op, value in matchers:
        if label == "__name__" and op == "=" and name is None:
            name = value
        else:
            rest.append((label, op, value))
    return Selector(name, rest if name is not None else matchers)


# -- where the expressions are -------------------------------------------------------------------

def dashboard_panels(path: pathlib.Path = DASHBOARD) -> list[dict]:
    """The dashboard's panels (rows included), in file order."""
    return json.loads(path.read_text())["panels"]


def dashboard_queries(path: pathlib.Path = DASHBOARD) -> list[Query]:
    d = json.loads(path.read_text())
    out = []
    for panel in d.get("panels", []):
        for sub in [panel] + panel.get("panels", []):
            for t in sub.get("targets", []):
                if t.get("expr"):
                    out.append(parse(t["expr"], f"panel {sub.get('title')!r}"))
    for var in d.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        q = var.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*", q, flags=re.S)
        if m:  # label_values(selector, label): the label must be on the selected series
            query = parse(m.group(1), f"variable ${var['name']}")
            query.grouping.append(m.group(2))
            out.append(query)
        elif q:
            out.append(parse(q, f"variable ${var['name']}"))
    return out


def rule_queries(path: pathlib.Path = RULES) -> list[Query]:
    """Each `expr:` of the PrometheusRule template, its Go template actions filled as helm would
    ($sel a job and namespace selector, thresholds a number)."""
    lines = path.read_text().splitlines()
    out = []
    name = "?"
    k = 0
    while k < len(lines):
        line = lines[k]
        head = re.match(r"^(\s*)-?\s*(alert|record):\s*(\S+)", line)
        if head:
            name = f"{head.group(2)} {head.group(3)}"
        m = re.match(r"^(\s*)(?:- )?expr:\s*(.*)$", line)
        if m:
            indent, first = len(m.group(1)), m.group(2).strip()
            if first in ("|", ">", "|-", ">-"):
                body = []
                k += 1
                while k < len(lines) and (not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > indent):
                    body.append(lines[k])
                    k += 1
                text = "\n".join(body)
                k -= 1
            else:
                text = first
            out.append(parse(_fill_template(text), name))
        k += 1
    return out


def recorded_names(path: pathlib.Path = RULES) -> set[str]:
    """Series the rules themselves record (a query may use them although /metrics does not have them)."""
    return set(re.findall(r"^\s*-?\s*record:\s*(\S+)", path.read_text(), flags=re.M))


def _fill_template(text: str) -> str:
    text = re.sub(r"\{\{-?\s*\$sel\s*-?\}\}", 'job="cairn", namespace="cairn"', text)
    return re.sub(r"\{\{-?.*?-?\}\}", "1", text)
