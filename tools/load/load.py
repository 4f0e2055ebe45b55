#!/usr/bin/env python3
"""Cairn load driver: a mixed workload at a target rate, with faults run beside it by run.sh.

Open loop: calls are started on a fixed schedule (rate/s) by a pool of worker threads, and each
latency is measured from the call's scheduled start, so a stalled server shows up as latency
instead of silently lowering the rate (no coordinated omission). Mix (weights): document writes
(CreateItem, some searchable, so each enqueues an indexing job), reads (GetItem of an
acknowledged write), searches (Search) and chat answers (CreateConversation + SendMessage, the
stream read to its end). Every acknowledged write is kept with its content's SHA-256 and, with
--verify, re-read at the end through DownloadItem (lost = not found or different bytes); with
--wait-indexed, every acknowledged searchable write must reach STATE_INDEXED (its job ran).

Python + grpcio because it reuses the interop check's venv and its stubs generated from proto/
at run time; on this 2-core machine the server, not the driver, is what saturates.

  load.py --target HOST:PORT --token-file F --rate 20 --duration 600 --out report.json
  load.py ... --capacity 16        # closed loop, 16 in flight: the sustainable rate, in ops/s
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import importlib
import json
import os
import pathlib
import random
import re
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

HERE = pathlib.Path(__file__).resolve().parent
INTEROP = HERE.parent / "interop" / "python"
sys.path.insert(0, str(INTEROP))
import check  # noqa: E402  (the interop check: stub generation from proto/)

MIX = {"write": 3, "read": 4, "search": 2, "chat": 1}
DEADLINE_S = 30.0
WORDS = ("kingfisher river burrow perch fish heron otter willow reed marsh estuary tide "
         "granite basalt glacier moraine lichen moss fern spruce").split()


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Driver:
    def __init__(self, args):
        import grpc

        self.grpc = grpc
        sys.path.insert(0, str(check.GEN))
        self.m = {n: importlib.import_module(n) for n in (
            "cairn.vault.v1.vault_service_pb2", "cairn.vault.v1.item_pb2", "cairn.vault.v1.vault_service_pb2_grpc",
            "cairn.search.v1.search_service_pb2", "cairn.search.v1.search_service_pb2_grpc", "cairn.search.v1.search_pb2",
            "cairn.chat.v1.chat_service_pb2", "cairn.chat.v1.chat_service_pb2_grpc")}
        self.args = args
        self.token = pathlib.Path(args.token_file).read_text().strip()
        # A few channels (HTTP/2 connections), as several clients would have.
        self.channels = [grpc.insecure_channel(args.target) for _ in range(4)]
        self.lock = threading.Lock()
        self.lat = collections.defaultdict(list)        # op -> [seconds] of OK calls
        self.status = collections.defaultdict(collections.Counter)  # op -> status -> n
        self.timeline = collections.defaultdict(collections.Counter)  # second -> "op:status" -> n
        self.acked = []                                  # (name, sha256, searchable)
        self.t0 = time.monotonic()
        self.t0_epoch = time.time()

    def stubs(self):
        ch = random.choice(self.channels)
        m = self.m
        return (m["cairn.vault.v1.vault_service_pb2_grpc"].VaultServiceStub(ch),
                m["cairn.search.v1.search_service_pb2_grpc"].SearchServiceStub(ch),
                m["cairn.chat.v1.chat_service_pb2_grpc"].ChatServiceStub(ch))

    def opts(self):
        return {"metadata": [("authorization", f"Bearer {self.token}")], "timeout": DEADLINE_S}

    # -- operations -------------------------------------------------------------------------
    def op_write(self):
        vault, _, _ = self.stubs()
        m = self.m
        text = " ".join(random.choice(WORDS) for _ in range(40)) + f" {random.getrandbits(64):x}"
        body = text.encode()
        searchable = random.random() < 0.3
        item = vault.CreateItem(m["cairn.vault.v1.vault_service_pb2"].CreateItemRequest(
            item=m["cairn.vault.v1.item_pb2"].Item(
                kind=m["cairn.vault.v1.item_pb2"].Item.KIND_DOCUMENT, display_name="load.txt",
                media_type="text/plain", searchable=searchable, content=body),
            request_id=str(uuid.uuid4())), **self.opts()).item
        with self.lock:
            self.acked.append((item.name, hashlib.sha256(body).hexdigest(), searchable))

    def op_read(self):
        with self.lock:
            name = random.choice(self.acked)[0] if self.acked else None
        if name is None:
            return self.op_write()
        vault, _, _ = self.stubs()
        vault.GetItem(self.m["cairn.vault.v1.vault_service_pb2"].GetItemRequest(name=name), **self.opts())

    def op_search(self):
        _, search, _ = self.stubs()
        search.Search(self.m["cairn.search.v1.search_service_pb2"].SearchRequest(
            query=" ".join(random.sample(WORDS, 2)), page_size=10), **self.opts())

    def op_chat(self):
        _, _, chat = self.stubs()
        pb = self.m["cairn.chat.v1.chat_service_pb2"]
        conv = chat.CreateConversation(pb.CreateConversationRequest(), **self.opts()).conversation
        events = list(chat.SendMessage(pb.SendMessageRequest(
            parent=conv.name, text=f"Where does the {random.choice(WORDS)} live?"), **self.opts()))
        assert events and events[-1].WhichOneof("event") == "completed", "stream ended without completed"

    def run_one(self, op, scheduled):
        try:
            getattr(self, "op_" + op)()
            code = "OK"
        except self.grpc.RpcError as e:
            code = e.code().name
        except Exception as e:  # noqa: BLE001 - a driver-side failure is counted, not fatal
            code = "CLIENT_" + type(e).__name__
        done = time.monotonic()
        with self.lock:
            self.status[op][code] += 1
            self.timeline[int(done - self.t0)][f"{op}:{code}"] += 1
            if code == "OK":
                self.lat[op].append(done - scheduled)

    def pick(self):
        return random.choices(list(MIX), weights=list(MIX.values()))[0]

    # -- modes --------------------------------------------------------------------------------
    def open_loop(self, rate, duration):
        with ThreadPoolExecutor(max_workers=self.args.workers) as pool:
            start = time.monotonic()
            n = 0
            while True:
                scheduled = start + n / rate
                if scheduled - start >= duration:
                    break
                delay = scheduled - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(self.run_one, self.pick(), scheduled)
                n += 1
        return n

    def closed_loop(self, inflight, duration):
        end = time.monotonic() + duration

        def worker():
            count = 0
            while time.monotonic() < end:
                self.run_one(self.pick(), time.monotonic())
                count += 1
            return count

        with ThreadPoolExecutor(max_workers=inflight) as pool:
            return sum(f.result() for f in [pool.submit(worker) for _ in range(inflight)])

    # -- end checks ---------------------------------------------------------------------------
    def verify(self):
        vault, _, _ = self.stubs()
        pb = self.m["cairn.vault.v1.vault_service_pb2"]
        lost = []
        for name, digest, _ in self.acked:
            for attempt in range(5):
                try:
                    body = b"".join(r.chunk for r in vault.DownloadItem(pb.DownloadItemRequest(name=name), **self.opts())
                                    if r.WhichOneof("payload") == "chunk")
                    if hashlib.sha256(body).hexdigest() != digest:
                        lost.append((name, "content differs"))
                    break
                except self.grpc.RpcError as e:
                    if e.code() == self.grpc.StatusCode.NOT_FOUND or attempt == 4:
                        lost.append((name, e.code().name))
                        break
                    time.sleep(1)
        return lost

    def wait_indexed(self, limit):
        _, search, _ = self.stubs()
        pb = self.m["cairn.search.v1.search_service_pb2"]
        indexed = self.m["cairn.search.v1.search_pb2"].ItemIndexStatus.STATE_INDEXED
        pending = [name for name, _, searchable in self.acked if searchable]
        total, start = len(pending), time.monotonic()
        while pending and time.monotonic() - start < limit:
            still = []
            for name in pending:
                try:
                    state = search.GetIndexStatus(pb.GetIndexStatusRequest(item=name), **self.opts()).item_status.state
                except self.grpc.RpcError:
                    state = None
                if state != indexed:
                    still.append(name)
            pending = still
            if pending:
                time.sleep(1)
        return {"searchable_acked": total, "not_indexed": len(pending), "waited_s": round(time.monotonic() - start, 1)}


def heap_sampler(url, samples, stop):
    pat = re.compile(r'^jvm_memory_used_bytes\{[^}]*area="heap"[^}]*\}\s+([0-9.eE+]+)', re.M)
    t0 = time.monotonic()
    while not stop.wait(5):
        try:
            text = urllib.request.urlopen(url, timeout=3).read().decode()
            samples.append((round(time.monotonic() - t0), round(sum(float(v) for v in pat.findall(text)) / 2**20, 1)))
        except OSError:
            samples.append((round(time.monotonic() - t0), None))


def slow_clients(d, args):
    """Readers that do not read: each stream's flow-control window fills and the server must wait."""
    m = d.m
    vault, _, _ = d.stubs()
    body = os.urandom(4 * 1024 * 1024 - 4096)
    item = vault.CreateItem(m["cairn.vault.v1.vault_service_pb2"].CreateItemRequest(item=m["cairn.vault.v1.item_pb2"].Item(
        kind=m["cairn.vault.v1.item_pb2"].Item.KIND_DOCUMENT, display_name="big.bin",
        media_type="application/octet-stream", content=body)), **d.opts()).item
    opts = d.opts() | {"timeout": args.duration + 60}
    streams = [vault.DownloadItem(m["cairn.vault.v1.vault_service_pb2"].DownloadItemRequest(name=item.name), **opts)
               for _ in range(args.slow_clients)]
    firsts = [next(s).WhichOneof("payload") for s in streams]  # started, then left unread
    time.sleep(args.duration)
    for s in streams:
        s.cancel()
    pathlib.Path(args.out).write_text(json.dumps({"slow_streams": len(streams), "first_message": firsts[:1], "held_s": args.duration}))
    print(f"slow clients: {len(streams)} streams of {len(body)} bytes held unread for {args.duration}s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--rate", type=float, default=10)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--capacity", type=int, default=0, help="closed loop with N in flight instead")
    ap.add_argument("--workers", type=int, default=64)
    ap.add_argument("--metrics-url")
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--wait-indexed", type=float, default=0, help="seconds to wait for searchable writes to be indexed")
    ap.add_argument("--target-file", help="re-read the target from this file before the end checks (after a restart)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-generate", action="store_true")
    ap.add_argument("--slow-clients", type=int, default=0, help="instead: N DownloadItem streams of a 4 MB document, never read, held --duration s")
    args = ap.parse_args()
    if not args.no_generate:
        check.generate_stubs()
    random.seed(20261201)
    d = Driver(args)
    if args.slow_clients:
        return slow_clients(d, args)
    heap, stop = [], threading.Event()
    if args.metrics_url:
        threading.Thread(target=heap_sampler, args=(args.metrics_url, heap, stop), daemon=True).start()
    start = time.monotonic()
    n = d.closed_loop(args.capacity, args.duration) if args.capacity else d.open_loop(args.rate, args.duration)
    elapsed = time.monotonic() - start
    stop.set()
    report = {"t0_epoch": d.t0_epoch, "mode": f"closed loop, {args.capacity} in flight" if args.capacity else f"open loop at {args.rate}/s",
              "calls": n, "elapsed_s": round(elapsed, 1), "ops_per_s": round(n / elapsed, 2),
              "status": {op: dict(c) for op, c in d.status.items()},
              "latency_ms": {op: {p: round(percentile(v, q) * 1000, 1) for p, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))}
                             | {"n": len(v)} for op, v in d.lat.items() if v},
              "timeline": {s: dict(c) for s, c in sorted(d.timeline.items())},
              "heap_mib": heap, "acked_writes": len(d.acked)}
    if args.target_file:
        d.channels = [d.grpc.insecure_channel(pathlib.Path(args.target_file).read_text().strip()) for _ in range(2)]
    if args.wait_indexed:
        report["indexing"] = d.wait_indexed(args.wait_indexed)
    if args.verify:
        lost = d.verify()
        report["acked_writes_lost"] = len(lost)
        report["lost_sample"] = lost[:10]
    pathlib.Path(args.out).write_text(json.dumps(report, indent=1))
    summary = {k: v for k, v in report.items() if k not in ("timeline", "heap_mib")}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
