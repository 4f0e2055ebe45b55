#!/usr/bin/env python3
"""Runs real Envoy's `--mode validate` on the gateway config a rendered chart carries, with the
descriptor set from the same ConfigMap (its mount path /etc/envoy/ pointed at a scratch folder):
the filters, the transcoder's service names against the descriptor, the clusters are all checked
as Envoy itself reads them. Usage: validate_envoy.py ENVOY rendered.yaml"""
import base64
import pathlib
import subprocess
import sys
import tempfile

import yaml

envoy, rendered = sys.argv[1], sys.argv[2]
with open(rendered) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
maps = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-gateway")]
if len(maps) != 1:
    sys.exit(f"validate_envoy: expected one gateway ConfigMap in {rendered}, got {len(maps)}")
with tempfile.TemporaryDirectory() as scratch:
    folder = pathlib.Path(scratch)
    for name, data in maps[0].get("binaryData", {}).items():
        (folder / name).write_bytes(base64.b64decode(data))
    config = folder / "envoy.yaml"
    config.write_text(maps[0]["data"]["envoy.yaml"].replace("/etc/envoy/", f"{folder}/"))
    run = subprocess.run([envoy, "--mode", "validate", "-c", str(config), "--log-level", "error"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"validate_envoy: Envoy refused the gateway config of {rendered}:\n{run.stdout}{run.stderr}")
print(f"validate_envoy: {rendered}: Envoy accepts the gateway config")
