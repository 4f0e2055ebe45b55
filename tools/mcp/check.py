"""Cairn MCP acceptance from Python: the official `mcp` SDK against a real Cairn over Streamable HTTP.

Discovers the tools, saves a document with create_item, finds it with search (waiting for the
index), reads it with fetch, asks about it (citations name it), and checks that a request without
a token is refused with 401 and RFC 9728 metadata. Prints `N passed, N failed` last.
"""

import argparse
import asyncio
import json
import sys
import time
import uuid

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def payload(result):
    return json.loads(result.content[0].text)


async def with_token(url, token):
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with client, streamable_http_client(url, http_client=client) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {t.name for t in (await session.list_tools()).tools}
            check("discovers the read tools", {"search", "fetch", "list_items", "query_records", "ask"} <= tools, tools)
            check("a write token also sees create_item", "create_item" in tools, tools)

            marker = "quokka" + uuid.uuid4().hex[:8]
            text = f"The {marker} lives on Rottnest Island and eats leaves at night."
            created = await session.call_tool("create_item", {"display_name": "Island notes", "text": text})
            item = payload(created).get("item", {}).get("name", "")
            check("create_item saves a document", not created.is_error and item.startswith("items/"), payload(created))

            hits = []
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                found = await session.call_tool("search", {"query": marker, "mode": "lexical"})
                hits = payload(found).get("hits", [])
                if hits:
                    break
                await asyncio.sleep(0.5)  # the document is indexed by a background job
            check("search finds it with a snippet and its name",
                  len(hits) == 1 and hits[0]["item"] == item and marker in hits[0]["snippet"]
                  and hits[0]["display_name"] == "Island notes", hits)

            fetched = payload(await session.call_tool("fetch", {"item": item}))
            check("fetch reads its text", fetched.get("text") == text, fetched)

            answer = payload(await session.call_tool("ask", {"question": f"Where does the {marker} live?"}))
            cited = [c["item"] for c in answer.get("citations", [])]
            check("ask answers with a citation of it", item in cited and answer.get("answer"), answer)

            missing = await session.call_tool("fetch", {"item": "items/" + str(uuid.uuid4())})
            check("a missing item is an error result, NOT_FOUND",
                  missing.is_error and payload(missing)["error"]["code"] == "NOT_FOUND", missing)
            bad = await session.call_tool("search", {"query": ""})
            check("bad input is an error result naming the argument",
                  bad.is_error and payload(bad)["error"]["field_violations"][0]["field"] == "query", bad)


async def without_token(url, base):
    async with httpx2.AsyncClient() as http:
        response = await http.post(url, headers={"Accept": "application/json, text/event-stream",
                                                 "Content-Type": "application/json"},
                                   content=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        challenge = response.headers.get("www-authenticate", "")
        check("no token: 401 with resource_metadata",
              response.status_code == 401
              and f'resource_metadata="{base}/.well-known/oauth-protected-resource"' in challenge,
              (response.status_code, challenge))
        metadata = (await http.get(f"{base}/.well-known/oauth-protected-resource")).json()
        check("the metadata names the endpoint", metadata.get("resource") == url, metadata)
    refused = False
    try:
        async with streamable_http_client(url) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await asyncio.wait_for(session.initialize(), 30)
    except BaseException as e:  # the SDK surfaces the 401 as an error (an exception group from its task group)
        print(f"     (refused with {e!r})")
        refused = True  # initialize failed without a token; a session that opens fails this check
    check("the SDK client without a token is refused", refused)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the MCP endpoint, http://127.0.0.1:PORT/mcp")
    parser.add_argument("--token-file", required=True)
    args = parser.parse_args()
    token = open(args.token_file).read().strip()
    base = args.url.rsplit("/mcp", 1)[0]
    try:
        await with_token(args.url, token)
    except BaseException as e:
        check("session with a token", False, repr(e))
    await without_token(args.url, base)


asyncio.run(main())
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
