#!/usr/bin/env python3
"""Summarises a faults run: calls by status inside each fault window, and recovery times.

  report.py faults.json faults-events.txt [pool-burst.json]

Times come from the driver's per-second timeline (calls by op:status, by the second they ended)
and the events run.sh stamped (epoch seconds), so they have a one-second resolution.
"""
import collections
import json
import sys

report = json.load(open(sys.argv[1]))
events = dict(line.split() for line in open(sys.argv[2]) if line.strip())
events = {k: float(v) - report["t0_epoch"] for k, v in events.items()}
timeline = {int(s): c for s, c in report["timeline"].items()}


def window(start, end):
    counts = collections.Counter()
    for s, c in timeline.items():
        if start <= s <= end:
            for key, n in c.items():
                counts[key.split(":", 1)[1]] += n
    return dict(counts)


def first_ok_after(t, op="write"):
    for s in sorted(timeline):
        if s >= int(t) and timeline[s].get(f"{op}:OK"):
            return s - t
    return None


out = {
    "postgres_restart": {"down_s": round(events["pg_up"] - events["pg_stop"], 1),
                         "calls_by_status_during_outage_and_5s_after": window(events["pg_stop"], events["pg_up"] + 5),
                         "recovery_s_first_ok_write_after_pg_up": first_ok_after(events["pg_up"])},
    "slow_clients": {"calls_by_status_meanwhile": window(events["slow_start"], events["slow_end"])},
    "full_pool": {"calls_by_status_meanwhile": window(events["pool_start"], events["pool_end"])},
    "kill9": {"restart_s": round(events["cairn_up"] - events["kill9"], 1),
              "calls_by_status_until_5s_after_up": window(events["kill9"], events["cairn_up"] + 5),
              "recovery_s_first_ok_write_after_up": first_ok_after(events["cairn_up"])},
    "whole_run": {k: report[k] for k in ("mode", "calls", "status", "latency_ms", "acked_writes",
                                          "acked_writes_lost", "indexing") if k in report},
    "heap_mib": report["heap_mib"],
}
if len(sys.argv) > 3:
    burst = json.load(open(sys.argv[3]))
    out["full_pool"]["burst"] = {k: burst[k] for k in ("mode", "calls", "status", "latency_ms")}
print(json.dumps(out, indent=1))
