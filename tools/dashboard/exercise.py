#!/usr/bin/env python3
"""A few calls that touch every area the dashboard and the alerts watch, so that a scrape of
/metrics afterwards has each series they query (check_metrics.py; render.sh runs it before its
load): vault writes, reads and a streamed download; a searchable text document indexed by the
search-index job and a searchable "PDF" that is not one (its extraction fails for good, the only
way the index-failure counter appears); lexical and hybrid searches; a chat answer streamed to its
end; the audit log listed and verified; a call answered NOT_FOUND.

Uses the interop check's venv and its stubs (tools/interop/python: grpcio, gen/ from proto/).

  exercise.py --target HOST:PORT --token-file F [--generate]

Prints one line per step; exits 1 on the first failure. Every call has a deadline; the whole run is
bounded by the 60 s it waits for the index job.
"""
from __future__ import annotations

import argparse
import importlib
import pathlib
import sys
import time
import uuid

INTEROP = pathlib.Path(__file__).resolve().parents[1] / "interop" / "python"
sys.path.insert(0, str(INTEROP))
import check  # noqa: E402  (stub generation from proto/, and where the stubs are)

DEADLINE_S = 15.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--generate", action="store_true", help="generate the stubs first (else reuse gen/)")
    args = ap.parse_args()
    if args.generate or not check.GEN.is_dir():
        check.generate_stubs()
    sys.path.insert(0, str(check.GEN))
    import grpc

    m = {n.rsplit(".", 1)[-1]: importlib.import_module(n) for n in (
        "cairn.vault.v1.vault_service_pb2", "cairn.vault.v1.vault_service_pb2_grpc", "cairn.vault.v1.item_pb2",
        "cairn.vault.v1.audit_service_pb2", "cairn.vault.v1.audit_service_pb2_grpc",
        "cairn.search.v1.search_service_pb2", "cairn.search.v1.search_service_pb2_grpc", "cairn.search.v1.search_pb2",
        "cairn.chat.v1.chat_service_pb2", "cairn.chat.v1.chat_service_pb2_grpc")}
    token = pathlib.Path(args.token_file).read_text().strip()
    opts = {"metadata": [("authorization", f"Bearer {token}")], "timeout": DEADLINE_S}
    channel = grpc.insecure_channel(args.target)
    vault = m["vault_service_pb2_grpc"].VaultServiceStub(channel)
    audit = m["audit_service_pb2_grpc"].AuditServiceStub(channel)
    search = m["search_service_pb2_grpc"].SearchServiceStub(channel)
    chat = m["chat_service_pb2_grpc"].ChatServiceStub(channel)
    vpb, item_pb, spb, cpb, apb = (m["vault_service_pb2"], m["item_pb2"], m["search_service_pb2"],
                                   m["chat_service_pb2"], m["audit_service_pb2"])
    state = m["search_pb2"].ItemIndexStatus

    def step(what, fn):
        started = time.monotonic()
        result = fn()
        print(f"exercise: {what} ({(time.monotonic() - started) * 1000:.0f} ms)")
        return result

    def create(name, media_type, body):
        return vault.CreateItem(vpb.CreateItemRequest(item=item_pb.Item(
            kind=item_pb.Item.KIND_DOCUMENT, display_name=name, media_type=media_type, searchable=True, content=body),
            request_id=str(uuid.uuid4())), **opts).item

    text = create("herons.txt", "text/plain",
                  b"Grey herons stand still in shallow water and strike at fish. They nest in colonies high in trees.")
    broken = create("broken.pdf", "application/pdf", b"%PDF-1.7 this is not a PDF at all")
    print(f"exercise: created {text.name} (text) and {broken.name} (a PDF that is not one)")
    step("GetItem", lambda: vault.GetItem(vpb.GetItemRequest(name=text.name), **opts))
    step("DownloadItem (stream)", lambda: b"".join(
        r.chunk for r in vault.DownloadItem(vpb.DownloadItemRequest(name=text.name), **opts)))
    step("ListItems", lambda: vault.ListItems(vpb.ListItemsRequest(page_size=10), **opts))

    def indexed():
        want = {text.name: state.STATE_INDEXED, broken.name: state.STATE_FAILED}
        until = time.monotonic() + 60
        while want:
            for name, final in list(want.items()):
                got = search.GetIndexStatus(spb.GetIndexStatusRequest(item=name), **opts).item_status.state
                if got == final:
                    del want[name]
                elif got in (state.STATE_INDEXED, state.STATE_FAILED):
                    raise SystemExit(f"exercise: {name} ended {state.Name(got)}, expected {state.Name(final)}")
            if want and time.monotonic() > until:
                raise SystemExit(f"exercise: not indexed within 60 s: {sorted(want)}")
            time.sleep(0.2)

    step("search-index job: the text INDEXED, the broken PDF FAILED", indexed)
    for mode in ("SEARCH_MODE_LEXICAL", "SEARCH_MODE_HYBRID"):
        hits = step(f"Search {mode}", lambda mode=mode: search.Search(spb.SearchRequest(
            query="herons nest", mode=m["search_pb2"].SearchMode.Value(mode), page_size=5), **opts))
        if not hits.hits:
            raise SystemExit(f"exercise: {mode} found nothing for 'herons nest'")

    def answer():
        conv = chat.CreateConversation(cpb.CreateConversationRequest(), **opts).conversation
        events = list(chat.SendMessage(cpb.SendMessageRequest(parent=conv.name, text="Where do herons nest?"), **opts))
        if not events or events[-1].WhichOneof("event") != "completed":
            raise SystemExit(f"exercise: the chat stream ended without `completed`: {[e.WhichOneof('event') for e in events]}")

    step("chat CreateConversation + SendMessage (stream to its end)", answer)
    step("ListAuditEvents", lambda: audit.ListAuditEvents(apb.ListAuditEventsRequest(parent="users/me"), **opts))
    verified = step("VerifyAuditLog", lambda: audit.VerifyAuditLog(apb.VerifyAuditLogRequest(parent="users/me"), **opts))
    if not verified.verified:
        raise SystemExit(f"exercise: the audit log did not verify: {verified}")
    try:
        vault.GetItem(vpb.GetItemRequest(name=f"items/{uuid.uuid4()}"), **opts)
        raise SystemExit("exercise: GetItem of a random id did not fail")
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.NOT_FOUND:
            raise SystemExit(f"exercise: GetItem of a random id: {e.code().name}, expected NOT_FOUND") from None
        print("exercise: GetItem of a random id: NOT_FOUND")
    return 0


if __name__ == "__main__":
    sys.exit(main())
