#!/usr/bin/env python3
"""Cairn interop check from Python (grpcio), against a running server.

Stubs are generated at run time with grpc_tools.protoc from proto/src/main/proto (ours) and
proto/target/proto-deps (buf/validate; google/api and google/rpc come from googleapis-common-protos)
into the gitignored gen/ folder, so the check always speaks the current contracts.

Usage (tools/interop/run.sh does all of this for you):
    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/python check.py --target 127.0.0.1:50051 --token-file "$CAIRN_DATA_DIR/demo-token"

Prints one line per check and a last line `N passed, N failed`; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pathlib
import re
import shutil
import sys
import traceback
from typing import Callable

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
PROTO_SRC = REPO / "proto" / "src" / "main" / "proto"
PROTO_DEPS = REPO / "proto" / "target" / "proto-deps"
GEN = HERE / "gen"

# Every call has a deadline: a hung server fails the check instead of hanging CI.
DEADLINE_S = 10.0


def generate_stubs() -> None:
    """Regenerates gen/ from the .proto files (ours and buf/validate)."""
    from grpc_tools import protoc
    import grpc_tools

    if not PROTO_DEPS.is_dir():
        sys.exit(f"missing {PROTO_DEPS}: run `./mvnw -B -q -pl proto install` at {REPO}")
    ours = sorted(str(p.relative_to(PROTO_SRC)) for p in PROTO_SRC.rglob("*.proto"))
    validate = sorted(str(p.relative_to(PROTO_DEPS)) for p in (PROTO_DEPS / "buf").rglob("*.proto"))
    shutil.rmtree(GEN, ignore_errors=True)
    GEN.mkdir(parents=True)
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_SRC}",
        f"-I{PROTO_DEPS}",
        f"-I{well_known}",
        f"--python_out={GEN}",
        f"--grpc_python_out={GEN}",
        *ours,
        *validate,
    ]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")


def declared_services() -> list[str]:
    """Fully-qualified names of every service declared in proto/src/main/proto."""
    names = []
    for path in sorted(PROTO_SRC.rglob("*.proto")):
        text = re.sub(r"//[^\n]*", "", path.read_text(encoding="utf-8"))
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        package = re.search(r"^\s*package\s+([\w.]+)\s*;", text, flags=re.M)
        for service in re.findall(r"^\s*service\s+(\w+)\s*\{", text, flags=re.M):
            names.append(f"{package.group(1)}.{service}" if package else service)
    return names


class Checks:
    def __init__(self, target: str, token: str) -> None:
        import grpc

        self.grpc = grpc
        self.channel = grpc.insecure_channel(target)
        self.token = token
        identity_grpc = importlib.import_module("cairn.identity.v1.identity_service_pb2_grpc")
        self.identity_pb2 = importlib.import_module("cairn.identity.v1.identity_service_pb2")
        self.identity = identity_grpc.IdentityServiceStub(self.channel)

    def auth(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.token}")]

    def health_serving(self) -> None:
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        resp = health_pb2_grpc.HealthStub(self.channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=DEADLINE_S
        )
        assert resp.status == health_pb2.HealthCheckResponse.SERVING, f"health status {resp.status}"

    def reflection_lists_services(self) -> None:
        from google.protobuf import descriptor_pool
        from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
            ProtoReflectionDescriptorDatabase,
        )

        db = ProtoReflectionDescriptorDatabase(self.channel)
        listed = set(db.get_services())
        expected = declared_services()
        assert "cairn.identity.v1.IdentityService" in expected, f"declared: {expected}"
        missing = [s for s in expected if s not in listed]
        assert not missing, f"not listed by reflection: {missing} (listed: {sorted(listed)})"
        assert "grpc.health.v1.Health" in listed, f"health not listed: {sorted(listed)}"

        file_proto = db.FindFileContainingSymbol("cairn.identity.v1.IdentityService")
        assert file_proto.package == "cairn.identity.v1", file_proto.package
        services = {s.name: s for s in file_proto.service}
        assert "IdentityService" in services, f"services in {file_proto.name}: {list(services)}"
        methods = {m.name: m for m in services["IdentityService"].method}
        assert "GetUser" in methods, f"methods: {list(methods)}"
        assert methods["GetUser"].input_type == ".cairn.identity.v1.GetUserRequest"

        # Resolving the whole file (and its imports) through reflection must also work.
        pool = descriptor_pool.DescriptorPool(db)
        service = pool.FindServiceByName("cairn.identity.v1.IdentityService")
        assert service.methods_by_name["GetUser"].output_type.full_name == "cairn.identity.v1.GetUserResponse"

    def get_user_me(self) -> None:
        resp = self.identity.GetUser(
            self.identity_pb2.GetUserRequest(name="users/me"), metadata=self.auth(), timeout=DEADLINE_S
        )
        assert resp.user.username == "demo", f"username {resp.user.username!r}"
        assert resp.user.name.startswith("users/"), f"name {resp.user.name!r}"

    def no_token_unauthenticated(self) -> None:
        code = self._expect_error(lambda: self.identity.GetUser(
            self.identity_pb2.GetUserRequest(name="users/me"), timeout=DEADLINE_S
        )).code()
        assert code == self.grpc.StatusCode.UNAUTHENTICATED, f"got {code}"

    def bad_name_invalid_argument(self) -> None:
        from google.rpc import error_details_pb2, status_pb2

        err = self._expect_error(lambda: self.identity.GetUser(
            self.identity_pb2.GetUserRequest(name="bad"), metadata=self.auth(), timeout=DEADLINE_S
        ))
        assert err.code() == self.grpc.StatusCode.INVALID_ARGUMENT, f"got {err.code()}"
        raw = dict(err.trailing_metadata() or ()).get("grpc-status-details-bin")
        assert raw, f"no grpc-status-details-bin in trailers {err.trailing_metadata()}"
        status = status_pb2.Status.FromString(raw)
        assert status.code == self.grpc.StatusCode.INVALID_ARGUMENT.value[0], f"details code {status.code}"
        infos, bad_requests = [], []
        for any_msg in status.details:
            if any_msg.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                any_msg.Unpack(info)
                infos.append(info)
            elif any_msg.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                any_msg.Unpack(bad)
                bad_requests.append(bad)
        assert any(i.domain == "cairn.dev" for i in infos), f"ErrorInfo: {infos}"
        fields = [v.field for b in bad_requests for v in b.field_violations]
        assert "name" in fields, f"BadRequest field violations: {fields}"

    def chat_streams_and_resumes(self) -> None:
        """SendMessage streams a cited answer with contiguous code-point offsets; StreamMessage from mid-answer gives its suffix."""
        import time

        vault_pb2 = importlib.import_module("cairn.vault.v1.vault_service_pb2")
        item_pb2 = importlib.import_module("cairn.vault.v1.item_pb2")
        vault = importlib.import_module("cairn.vault.v1.vault_service_pb2_grpc").VaultServiceStub(self.channel)
        search_pb2 = importlib.import_module("cairn.search.v1.search_service_pb2")
        search_types = importlib.import_module("cairn.search.v1.search_pb2")
        search = importlib.import_module("cairn.search.v1.search_service_pb2_grpc").SearchServiceStub(self.channel)
        chat_pb2 = importlib.import_module("cairn.chat.v1.chat_service_pb2")
        chat = importlib.import_module("cairn.chat.v1.chat_service_pb2_grpc").ChatServiceStub(self.channel)
        opts = {"metadata": self.auth(), "timeout": DEADLINE_S}

        text = "Kingfishers dive from a perch to catch small fish. They nest in burrows dug into river banks."
        item = vault.CreateItem(vault_pb2.CreateItemRequest(item=item_pb2.Item(
            kind=item_pb2.Item.KIND_DOCUMENT, display_name="kingfishers.txt", media_type="text/plain",
            searchable=True, content=text.encode())), **opts).item
        until = time.monotonic() + 60
        while True:
            status = search.GetIndexStatus(search_pb2.GetIndexStatusRequest(item=item.name), **opts).item_status
            if status.state == search_types.ItemIndexStatus.STATE_INDEXED:
                break
            assert status.state != search_types.ItemIndexStatus.STATE_FAILED, f"indexing failed: {status}"
            assert time.monotonic() < until, f"not indexed within 60 s: {status}"
            time.sleep(0.1)

        conversation = chat.CreateConversation(chat_pb2.CreateConversationRequest(), **opts).conversation
        events = list(chat.SendMessage(chat_pb2.SendMessageRequest(
            parent=conversation.name, text="Where do kingfishers nest?"), **opts))
        kinds = [e.WhichOneof("event") for e in events]
        assert kinds[:2] == ["started", "retrieval"] and kinds[-1] == "completed", f"events: {kinds}"
        assert set(kinds[2:-1]) == {"delta"}, f"events: {kinds}"
        assert any(c.item == item.name for c in events[1].retrieval.citations), f"citations: {events[1].retrieval}"
        offset, answer = 0, ""
        for e in events[2:-1]:
            assert e.delta.offset == offset, f"delta at {e.delta.offset}, expected {offset}"
            offset += len(e.delta.text)  # a Python str is indexed by code point
            answer += e.delta.text
        assert events[-1].completed.text_length == offset
        assert "[1]" in answer, f"no citation marker in {answer!r}"

        name = events[0].started.message.name
        half = len(answer) // 2
        rest = list(chat.StreamMessage(chat_pb2.StreamMessageRequest(name=name, from_offset=half), **opts))
        assert "".join(e.delta.text for e in rest if e.WhichOneof("event") == "delta") == answer[half:]
        stored = [m for m in chat.ListMessages(chat_pb2.ListMessagesRequest(parent=conversation.name), **opts).messages
                  if m.name == name]
        assert stored and stored[0].text == answer, f"stored: {stored}"

    def _expect_error(self, call: Callable[[], object]):
        try:
            call()
        except self.grpc.RpcError as err:
            return err
        raise AssertionError("the call succeeded; an error was expected")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default=os.environ.get("CAIRN_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("CAIRN_TOKEN"))
    parser.add_argument("--token-file", help="file holding the demo bearer token (one line)")
    parser.add_argument("--no-generate", action="store_true", help="reuse gen/ as it is")
    args = parser.parse_args()

    token = args.token
    if args.token_file:
        token = pathlib.Path(args.token_file).read_text(encoding="utf-8").strip()
    if not token:
        parser.error("a token is needed: --token, --token-file or CAIRN_TOKEN")

    if not args.no_generate or not GEN.is_dir():
        generate_stubs()
    sys.path.insert(0, str(GEN))

    checks = Checks(args.target, token)
    cases = [
        ("health Check reports SERVING", checks.health_serving),
        ("reflection lists every declared service and resolves IdentityService.GetUser", checks.reflection_lists_services),
        ("GetUser users/me with the demo token returns username demo", checks.get_user_me),
        ("GetUser without a token is UNAUTHENTICATED", checks.no_token_unauthenticated),
        ("GetUser name=bad is INVALID_ARGUMENT with ErrorInfo and BadRequest details", checks.bad_name_invalid_argument),
        ("chat SendMessage streams a cited answer; StreamMessage from mid-answer replays its suffix",
         checks.chat_streams_and_resumes),
    ]
    passed = failed = 0
    for title, case in cases:
        try:
            case()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the run goes on
            failed += 1
            print(f"FAIL python: {title}: {exc!r}")
            if os.environ.get("CAIRN_INTEROP_VERBOSE"):
                traceback.print_exc()
        else:
            passed += 1
            print(f"ok   python: {title}")
    checks.channel.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
