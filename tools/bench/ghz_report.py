#!/usr/bin/env python3
"""Table for tools/bench/ghz.sh: per-round calls/s, p50, p99 for Cairn and the baseline, their medians,
and the median over rounds of the per-round ratios. A timed ghz run cancels the calls in flight when
its time is up, so up to CONCURRENCY Canceled/Unavailable results per run are expected; any other
non-OK result exits 1.

    python3 ghz_report.py OUT_DIR ROUNDS CONCURRENCY [A B]   (reads OUT_DIR/round<r>-{A,B}.json;
                                                              A, B default to cairn, baseline; ratio A/B)
"""

import json
import pathlib
import statistics
import sys


def load(path: pathlib.Path) -> dict:
    report = json.loads(path.read_text(encoding="utf-8"))
    latency = {p["percentage"]: p["latency"] / 1e6 for p in report.get("latencyDistribution") or []}
    return {
        "rps": report["rps"],
        "p50": latency.get(50, float("nan")),
        "p99": latency.get(99, float("nan")),
        "count": report["count"],
        "codes": report.get("statusCodeDistribution") or {},
        "errors": report.get("errorDistribution") or {},
    }


def main() -> int:
    out, rounds, concurrency = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    a, b = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else ("cairn", "baseline")
    runs = {
        (r, who): load(out / f"round{r}-{who}.json") for r in range(1, rounds + 1) for who in (a, b)
    }
    def cut_off(v: dict) -> int:
        return sum(n for code, n in v["codes"].items() if code in ("Canceled", "Unavailable"))

    bad = {k: v for k, v in runs.items() if set(v["codes"]) - {"OK", "Canceled", "Unavailable"} or cut_off(v) > concurrency}

    print()
    print(f"{'run':<18}{'calls':>8}{'calls/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'cut off':>9}")
    for (r, who), v in runs.items():
        print(
            f"{f'round {r} {who}':<18}{v['count']:>8}{v['rps']:>11.0f}{v['p50']:>9.2f}{v['p99']:>9.2f}{cut_off(v):>9}"
        )

    def med(who: str, key: str) -> float:
        return statistics.median(runs[(r, who)][key] for r in range(1, rounds + 1))

    def ratio(key: str) -> float:
        return statistics.median(runs[(r, a)][key] / runs[(r, b)][key] for r in range(1, rounds + 1))

    print()
    print(f"{'median':<18}{'':>8}{'calls/s':>11}{'p50 ms':>9}{'p99 ms':>9}")
    for who in (a, b):
        print(f"{who:<18}{'':>8}{med(who, 'rps'):>11.0f}{med(who, 'p50'):>9.2f}{med(who, 'p99'):>9.2f}")
    print(
        f"{f'{a}/{b}':<18}{'':>8}{ratio('rps'):>10.2f}x{ratio('p50'):>8.2f}x{ratio('p99'):>8.2f}x"
        "   (median of per-round ratios)"
    )
    print(f"\nraw ghz reports: {out}")

    summary = {
        "rounds": [{"round": r, "who": who, **{k: v[k] for k in ("count", "rps", "p50", "p99")}} for (r, who), v in runs.items()],
        "median": {who: {k: med(who, k) for k in ("rps", "p50", "p99")} for who in (a, b)},
        f"ratio_{a}_over_{b}": {k: ratio(k) for k in ("rps", "p50", "p99")},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    if bad:
        for (r, who), v in bad.items():
            print(f"round {r} {who}: non-OK responses {v['codes']} {v['errors']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
