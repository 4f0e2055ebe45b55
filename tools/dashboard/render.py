#!/usr/bin/env python3
"""Draws the Grafana dashboard helm/cairn/dashboards/cairn.json as a PNG from a real Prometheus:
each panel's queries evaluated through /api/v1/query_range over [start, end], laid out on the
dashboard's own 24-column grid (gridPos), with its title, unit, legend format, stacking and stat
thresholds. Not Grafana (nothing of it is used or copied): matplotlib, in tools/dashboard/.venv.

  render.py --prometheus http://127.0.0.1:PORT --start EPOCH --end EPOCH --out docs/dashboard.png
            [--var namespace=cairn --var job=cairn] [--scrape-interval 1] [--note TEXT]

$__rate_interval is what Grafana would make of it: max(step + scrape interval, 4 x scrape interval).
Prints, per panel, how many series it drew (0: the panel shows "No data").
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import pathlib
import re
import sys
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["text.parse_math"] = False  # "$__rate_interval", "$job": text, not TeX
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import promql  # noqa: E402

COLORS = ["#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9", "#705da0",
          "#508642", "#cca300", "#447ebc", "#c15c17"]
STAT_COLORS = {"green": "#37872d", "orange": "#fa6400", "red": "#c4162a", "yellow": "#e0b400"}
MAX_LEGEND = 6


def query_range(base: str, expr: str, start: float, end: float, step: float) -> list[dict]:
    url = f"{base}/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"})
    with urllib.request.urlopen(url, timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def fmt(unit: str, v: float) -> str:
    if v is None or math.isnan(v):
        return "–"
    a = abs(v)
    if unit == "percentunit":
        return f"{v * 100:.1f}%" if a >= 0.001 or v == 0 else f"{v * 100:.3f}%"
    if unit == "s":
        if a == 0:
            return "0 s"
        if a < 1e-3:
            return f"{v * 1e6:.0f} µs"
        if a < 1:
            return f"{v * 1e3:.1f} ms" if a < 0.1 else f"{v * 1e3:.0f} ms"
        return f"{v:.2f} s"
    if unit == "bytes":
        for scale, name in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if a >= scale:
                return f"{v / scale:.1f} {name}"
        return f"{v:.0f} B"
    suffix = {"reqps": " req/s", "ops": " ops/s"}.get(unit, "")
    if a >= 1000:
        return f"{v / 1000:.1f}K{suffix}"
    return (f"{v:.0f}" if a >= 100 or v == int(v) else f"{v:.2f}" if a >= 1 else f"{v:.3g}") + suffix


def legend(fmt_: str, metric: dict, expr: str) -> str:
    if not fmt_:
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
        return inner or expr[:40]
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt_).strip()


def substitute(expr: str, variables: dict[str, str], rate_interval: str) -> str:
    expr = promql.grafana_to_promql(expr, rate_interval)
    for name in sorted(variables, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", variables[name]).replace("$" + name, variables[name])
    return expr


def draw_timeseries(ax, panel, series, unit):
    stacked = panel["fieldConfig"]["defaults"].get("custom", {}).get("stacking", {}).get("mode") == "normal"
    ax.set_facecolor("#ffffff")
    if not series:
        ax.text(0.5, 0.5, "No data", transform=ax.transAxes, ha="center", va="center", color="#888", fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    # the busiest series first; the rest are drawn but not named
    series.sort(key=lambda s: -max((abs(v) for v in s[2] if not math.isnan(v)), default=0))
    if stacked and len(series) > 1:
        xs = series[0][1]
        ax.stackplot(xs, *[[0 if math.isnan(v) else v for v in s[2]] for s in series],
                     labels=[s[0] for s in series], colors=COLORS[: len(series)] * 3, alpha=0.7)
    else:
        for k, (label, xs, ys) in enumerate(series):
            ax.plot(xs, ys, lw=1.2, color=COLORS[k % len(COLORS)], label=label if k < MAX_LEGEND else None)
            ax.fill_between(xs, ys, alpha=0.08, color=COLORS[k % len(COLORS)])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(unit, v)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=dt.timezone.utc))
    ax.xaxis.set_major_locator(mdates.MinuteLocator(tz=dt.timezone.utc))
    ax.tick_params(labelsize=7, colors="#444")
    ax.grid(True, color="#e5e5e5", lw=0.6)
    ax.set_ylim(bottom=min(0, ax.get_ylim()[0]))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        more = len(series) - len(handles)
        if more > 0:
            labels[-1] += f"  (+{more} more)"
        ax.legend(handles, labels, fontsize=6.5, loc="upper left", frameon=True, framealpha=0.85,
                  ncol=1 if len(handles) <= 3 else 2, borderaxespad=0.3, handlelength=1.2)


def draw_stat(ax, panel, value, unit):
    steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [{"color": "green", "value": None}])
    color = steps[0]["color"]
    if value is not None and not math.isnan(value):
        for s in steps:
            if s["value"] is None or value >= s["value"]:
                color = s["color"]
    ax.set_facecolor(STAT_COLORS.get(color, color) if value is not None else "#f2f2f2")
    ax.text(0.5, 0.42, "No data" if value is None else fmt(unit, value), transform=ax.transAxes, ha="center",
            va="center", fontsize=20 if value is not None else 11, color="white" if value is not None else "#888",
            fontweight="bold")
    ax.set_xticks([])
    ax.set_yticks([])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--start", type=float, required=True)
    ap.add_argument("--end", type=float, required=True)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--dashboard", type=pathlib.Path, default=promql.DASHBOARD)
    ap.add_argument("--var", action="append", default=[], help="NAME=VALUE for a dashboard variable")
    ap.add_argument("--scrape-interval", type=float, default=1.0)
    ap.add_argument("--note", default="")
    ap.add_argument("--dpi", type=int, default=72)
    args = ap.parse_args()

    d = json.loads(args.dashboard.read_text())
    variables = dict(v.split("=", 1) for v in args.var)
    args.start, args.end = float(int(args.start)), float(int(args.end))
    span = args.end - args.start
    step = float(max(1, round(span / 200)))  # whole seconds: the points fall on whole timestamps
    rate_interval = f"{int(max(step + args.scrape_interval, 4 * args.scrape_interval))}s"
    panels = [p for p in d["panels"]]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    unit_h = 0.36                                        # inches per grid row
    head = 1.0
    fig_w, fig_h = 20.0, rows * unit_h + head + 0.3
    fig = plt.figure(figsize=(fig_w, fig_h), facecolor="#f7f8fa")
    fig.text(0.008, 1 - 0.35 / fig_h, d["title"], fontsize=18, fontweight="bold", va="top", color="#222")
    when = (f"{dt.datetime.fromtimestamp(args.start, dt.timezone.utc):%Y-%m-%d %H:%M:%S}–"
            f"{dt.datetime.fromtimestamp(args.end, dt.timezone.utc):%H:%M:%S} UTC")
    fig.text(0.075, 1 - 0.38 / fig_h, f"{when}, step {step:g} s, $__rate_interval = {rate_interval}; "
             + ", ".join(f"${k}={v}" for k, v in variables.items()), fontsize=9.5, va="top", color="#555")
    import textwrap
    fig.text(0.008, 1 - 0.62 / fig_h, "\n".join(textwrap.wrap(args.note, 230)), fontsize=9, va="top",
             color="#555", style="italic", linespacing=1.3)

    def box(gp):  # gridPos -> figure coordinates [left, bottom, width, height]
        pad_x, pad_y = 0.004, 0.07 / fig_h
        left = gp["x"] / 24
        top = 1 - (head + gp["y"] * unit_h) / fig_h
        return [left + pad_x, top - gp["h"] * unit_h / fig_h + pad_y, gp["w"] / 24 - 2 * pad_x, gp["h"] * unit_h / fig_h - 2 * pad_y]

    empty = []
    for p in panels:
        gp = p["gridPos"]
        if p["type"] == "row":
            l, b, w, h = box(gp)
            fig.text(l, b + h / 2, p["title"], fontsize=12.5, fontweight="bold", va="center", color="#333")
            continue
        l, b, w, h = box(gp)
        title_h = 0.3 / fig_h
        frame = fig.add_axes([l, b, w, h], facecolor="#ffffff")
        frame.set_xticks([])
        frame.set_yticks([])
        for s in frame.spines.values():
            s.set_color("#d8d9da")
        fig.text(l + 0.004, b + h - 0.06 / fig_h, p["title"], fontsize=9.5, fontweight="bold", va="top", color="#222")
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        series = []
        for t in p.get("targets", []):
            expr = substitute(t["expr"], variables, rate_interval)
            for r in query_range(args.prometheus, expr, args.start, args.end, step):
                points = {int(round(float(ts))): float(v) for ts, v in r["values"]}
                xs, ys = [], []
                k = args.start
                while k <= args.end + 1e-6:  # gaps stay gaps (NaN), as Grafana draws them
                    xs.append(dt.datetime.fromtimestamp(k, dt.timezone.utc))
                    ys.append(points.get(int(k), float("nan")))
                    k += step
                series.append((legend(t.get("legendFormat", ""), r["metric"], t["expr"]), xs, ys))
        print(f"render: {p['title']!r}: {len(series)} series")
        if not series:
            empty.append(p["title"])
        if p["type"] == "stat":
            value = None
            for s in series[:1]:
                vals = [v for v in s[2] if not math.isnan(v)]
                value = vals[-1] if vals else None
            ax = fig.add_axes([l + 0.002, b + 0.01 / fig_h, w - 0.004, h - title_h - 0.05 / fig_h])
            draw_stat(ax, p, value, unit)
        else:
            left = 0.8 / fig_w  # room for the y tick labels, in inches
            ax = fig.add_axes([l + left, b + 0.32 / fig_h, w - left - 0.1 / fig_w, h - title_h - 0.42 / fig_h])
            draw_timeseries(ax, p, series, unit)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=args.dpi, facecolor=fig.get_facecolor())
    # a 256-colour palette: the picture is flat colours and thin lines, and a third of the size
    from PIL import Image
    with Image.open(args.out) as im:
        im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    size = args.out.stat().st_size
    print(f"render: wrote {args.out} ({size // 1024} KiB, {len(panels)} panels"
          + (f"; no data: {', '.join(repr(e) for e in empty)}" if empty else "") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
