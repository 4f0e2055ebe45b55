"""Cairn's own schemathesis checks (loaded through SCHEMATHESIS_HOOKS by tools/fuzz/run.sh).

Every JSON/REST error is a google.rpc.Status body (Cairn's through the transcoder, Envoy's own
through the gateway's local_reply_config). INTERNAL (13) and UNKNOWN (2) mean a bug reached the
client, so they fail the run whatever the HTTP status; a 5xx is allowed only as the documented
503 UNAVAILABLE (database down, no healthy replica: retryable).
"""
import json

import schemathesis

INTERNAL, UNKNOWN, UNAVAILABLE = 13, 2, 14


def _rpc_code(response):
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(body, dict) and isinstance(body.get("code"), int):
        return body["code"]
    return None


@schemathesis.check
def no_internal_or_unknown_status(ctx, response, case):
    """No google.rpc.Status body says INTERNAL or UNKNOWN."""
    code = _rpc_code(response)
    header = response.headers.get("grpc-status", [None])
    header = header[0] if isinstance(header, list) else header
    if header in (str(INTERNAL), str(UNKNOWN)):
        raise AssertionError(f"grpc-status {header} (HTTP {response.status_code}): {response.content[:300]!r}")
    if code in (INTERNAL, UNKNOWN):
        raise AssertionError(f"google.rpc.Status code {code} (HTTP {response.status_code}): {response.content[:300]!r}")


@schemathesis.check
def no_server_error_but_unavailable(ctx, response, case):
    """A 5xx only as 503 with a google.rpc.Status UNAVAILABLE body."""
    if response.status_code >= 500 and not (response.status_code == 503 and _rpc_code(response) == UNAVAILABLE):
        raise AssertionError(f"HTTP {response.status_code}: {response.content[:300]!r}")
